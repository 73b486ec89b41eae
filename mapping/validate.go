package mapping

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
	_ "time/tzdata" // the connector runs on Windows servers that have no zoneinfo database

	"github.com/hcmc-lgsp/lgsp-connector/packets"
)

// DefaultTimezone is the zone of legacy date/time values when
// mapping.timezone is not set.
const DefaultTimezone = "Asia/Ho_Chi_Minh"

// codeTable translates legacy values to wire codes.
type codeTable struct {
	name  string
	exact map[string]string
	// folded is keyed by lower-case legacy value, for case_insensitive
	// lookups and for the "differs only in case" hint.
	folded map[string]string
	// foldClash names two keys that differ only in case but map to
	// different codes; such a table cannot be used case-insensitively.
	foldClash string
}

func (t *codeTable) lookup(v string, fold bool) (string, string) {
	if fold {
		if code, ok := t.folded[strings.ToLower(v)]; ok {
			return code, ""
		}
	} else if code, ok := t.exact[v]; ok {
		return code, ""
	}
	reason := fmt.Sprintf("not in code table %q; add the value to mapping.code_tables.%s (unmapped values are never guessed)", t.name, t.name)
	if !fold {
		if _, ok := t.folded[strings.ToLower(v)]; ok {
			reason += "; a key differs only in letter case: set case_insensitive: true if case does not matter"
		}
	}
	return "", reason
}

// compiler collects every configuration error while building the plan.
type compiler struct {
	errs   []error
	zone   *time.Location
	tables map[string]*codeTable // by lower-case name
	names  string                // table names, for messages
	// catalogUses collects every catalog reference; usesCatalogDate is
	// set while compiling a stream that needs the record's date.
	catalogUses     []catalogUse
	usesCatalogDate bool
}

func (c *compiler) fail(path, format string, args ...any) {
	c.errs = append(c.errs, &ConfigError{Path: path, Reason: fmt.Sprintf(format, args...)})
}

func compile(cfg Config, o Options) (*Mapper, []error) {
	c := &compiler{}
	c.zone = c.compileZone(cfg.Timezone, o.Zone)
	c.compileTables(cfg.CodeTables)
	m := &Mapper{zone: c.zone, streams: map[string]*streamPlan{}, byFold: map[string]*streamPlan{}}
	if len(cfg.Streams) == 0 {
		c.fail("mapping.streams", "no streams are mapped; map at least the dossier stream")
	}
	var names []string
	for _, name := range sortedKeys(cfg.Streams) {
		path := "mapping.streams." + name
		fold := strings.ToLower(name)
		if other, dup := m.byFold[fold]; dup {
			c.fail(path, "stream names differ only in letter case from %q; the config loader would merge them", other.name)
			continue
		}
		sp := c.compileStream(path, name, cfg.Streams[name])
		if sp == nil {
			continue
		}
		m.streams[name] = sp
		m.byFold[fold] = sp
		names = append(names, name)
	}
	m.names = strings.Join(names, ", ")
	m.catalogUses = c.catalogUses
	return m, c.errs
}

func (c *compiler) compileZone(name string, override *time.Location) *time.Location {
	if override != nil {
		return override
	}
	name = strings.TrimSpace(name)
	if name == "" {
		name = DefaultTimezone
	}
	if name == "Local" {
		c.fail("mapping.timezone", "\"Local\" depends on the machine's settings; name the legacy database's zone, e.g. %s", DefaultTimezone)
		return time.UTC
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		c.fail("mapping.timezone", "unknown time zone %q; use an IANA name such as %s", name, DefaultTimezone)
		return time.UTC
	}
	return loc
}

func (c *compiler) compileTables(tables map[string]map[string]string) {
	c.tables = map[string]*codeTable{}
	var names []string
	for _, name := range sortedKeys(tables) {
		path := "mapping.code_tables." + name
		fold := strings.ToLower(name)
		if other, dup := c.tables[fold]; dup {
			c.fail(path, "code table names differ only in letter case from %q", other.name)
			continue
		}
		t := &codeTable{name: name, exact: map[string]string{}, folded: map[string]string{}}
		entries := tables[name]
		if len(entries) == 0 {
			c.fail(path, "empty code table: every value would be rejected")
		}
		for _, key := range sortedKeys(entries) {
			kpath := path + "." + key
			legacy, ok := c.tableText(kpath, key, "legacy value")
			if !ok {
				continue
			}
			code, ok := c.tableText(kpath, entries[key], "code")
			if !ok {
				continue
			}
			if _, dup := t.exact[legacy]; dup {
				c.fail(kpath, "legacy value %q appears twice (after Unicode NFC normalisation)", legacy)
				continue
			}
			t.exact[legacy] = code
			lower := strings.ToLower(legacy)
			if prev, seen := t.folded[lower]; seen && prev != code && t.foldClash == "" {
				t.foldClash = fmt.Sprintf("%q and another spelling of it map to %q and %q", legacy, prev, code)
			}
			t.folded[lower] = code
		}
		c.tables[fold] = t
		names = append(names, name)
	}
	c.names = strings.Join(names, ", ")
}

// tableText checks one key or code of a code table and returns its NFC
// form.
func (c *compiler) tableText(path, s, what string) (string, bool) {
	if s == "" {
		if what == "legacy value" {
			c.fail(path, "an empty legacy value never reaches a code table: NULL and empty values take the field's default")
		} else {
			c.fail(path, "empty code")
		}
		return "", false
	}
	if strings.TrimSpace(s) != s {
		c.fail(path, "%s %q has leading or trailing spaces; source values are trimmed before lookup, so remove them", what, s)
		return "", false
	}
	clean, err := utf8Encoding.decodeString(s)
	if err != nil {
		c.fail(path, "%s: %v", what, err)
		return "", false
	}
	return clean, true
}

func (c *compiler) compileStream(path, name string, sm StreamMapping) *streamPlan {
	kind, ok := packetKinds[packets.Kind(strings.TrimSpace(sm.Packet))]
	if !ok {
		if sm.Packet == "" {
			c.fail(path+".packet", "missing: say which packet the rows become (%s)", packetKindNames())
		} else {
			c.fail(path+".packet", "unknown packet kind %q (known: %s)", sm.Packet, packetKindNames())
		}
		return nil
	}
	c.usesCatalogDate = false
	body := c.compileStruct(path, kind.body, sm.Fields, sm.Lists)
	if body == nil {
		return nil
	}
	sp := &streamPlan{name: name, kind: kind, body: body}
	c.compileCatalogDate(path, sm, kind, body, sp)
	sp.identity = c.compileIdentity(path+".identity", sm.Identity, kind, body)
	return sp
}

func (c *compiler) compileStruct(path string, model *modelStruct, fields map[string]FieldMapping, lists map[string]ListMapping) *structPlan {
	errsBefore := len(c.errs)
	sp := &structPlan{model: model}
	if len(fields) == 0 && len(lists) == 0 {
		c.fail(path+".fields", "no fields are mapped")
	}
	seen := map[int]string{}
	for _, key := range sortedKeys(fields) {
		mf, ok := model.field(key)
		if !ok {
			c.fail(path+".fields."+key, "%s has no field %q%s", model.name, key, didYouMean(model.suggest(key, false)))
			continue
		}
		fpath := path + ".fields." + mf.name
		if prev, dup := seen[mf.index]; dup {
			c.fail(fpath, "mapped twice (as %q and %q)", prev, key)
			continue
		}
		seen[mf.index] = key
		switch mf.kind {
		case kindList:
			c.fail(fpath, "%s is a list: declare it under lists: with from: and fields:", mf.name)
			continue
		case kindUnsupported:
			c.fail(fpath, "field type %s is not supported by the mapping", mf.typ)
			continue
		}
		if fp := c.compileField(fpath, mf, fields[key]); fp != nil {
			sp.fields = append(sp.fields, fp)
		}
	}
	sort.Slice(sp.fields, func(i, j int) bool { return sp.fields[i].index < sp.fields[j].index })
	c.linkFromCatalog(path, model, sp)
	for _, key := range sortedKeys(lists) {
		mf, ok := model.field(key)
		if !ok {
			c.fail(path+".lists."+key, "%s has no list %q%s", model.name, key, didYouMean(model.suggest(key, true)))
			continue
		}
		lpath := path + ".lists." + mf.name
		if prev, dup := seen[mf.index]; dup {
			c.fail(lpath, "mapped twice (as %q and %q)", prev, key)
			continue
		}
		seen[mf.index] = key
		if mf.kind != kindList {
			c.fail(lpath, "%s is not a list: map it under fields:", mf.name)
			continue
		}
		lm := lists[key]
		from := strings.TrimSpace(lm.From)
		if from == "" {
			from = mf.name
		}
		elem := c.compileStruct(lpath, mf.elem, lm.Fields, lm.Lists)
		if elem != nil {
			sp.lists = append(sp.lists, &listPlan{name: mf.name, index: mf.index, from: from, elem: elem})
		}
	}
	sort.Slice(sp.lists, func(i, j int) bool { return sp.lists[i].index < sp.lists[j].index })
	if len(c.errs) > errsBefore {
		return nil
	}
	return sp
}

func didYouMean(s string) string {
	if s == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %s?)", s)
}

func (c *compiler) compileField(path string, mf *modelField, fm FieldMapping) *fieldPlan {
	errsBefore := len(c.errs)
	fp := &fieldPlan{
		name: mf.name, index: mf.index, kind: mf.kind,
		column:   strings.TrimSpace(fm.Column),
		required: fm.Required, maxLen: fm.MaxLen, truncate: fm.Truncate,
		fold: fm.CaseInsensitive,
	}
	hasConst := fm.Const != ""
	switch {
	case fp.column != "" && hasConst:
		c.fail(path, "column and const are exclusive: a field comes from one place")
	case fp.column == "" && !hasConst && fm.FromCatalog == nil:
		c.fail(path, "set column (where the value comes from) or const (a fixed value)")
	}

	enc, ok := lookupEncoding(fm.Encoding)
	if !ok {
		c.fail(path+".encoding", "unknown encoding %q (known: %s)", fm.Encoding, encodingList())
	}
	fp.enc = enc

	if len(fm.Format) > 0 && mf.kind != kindTime {
		c.fail(path+".format", "format applies to date fields; %s is a %s field", mf.name, mf.kind)
	} else {
		for i, f := range fm.Format {
			l, err := compileLayout(f)
			if err != nil {
				c.fail(fmt.Sprintf("%s.format[%d]", path, i), "%v", err)
				continue
			}
			fp.layouts = append(fp.layouts, l)
		}
	}

	if fm.CodeTable != "" {
		t, ok := c.tables[strings.ToLower(strings.TrimSpace(fm.CodeTable))]
		switch {
		case mf.kind == kindTime:
			c.fail(path+".code_table", "a code table cannot fill the date field %s", mf.name)
		case !ok:
			known := c.names
			if known == "" {
				known = "none defined under mapping.code_tables"
			}
			c.fail(path+".code_table", "unknown code table %q (known: %s)", fm.CodeTable, known)
		default:
			fp.codes = t
			if fm.CaseInsensitive && t.foldClash != "" {
				c.fail(path+".case_insensitive", "code table %q cannot be used case-insensitively: %s", t.name, t.foldClash)
			}
			if list, ok := wireCodeLists[mf.name]; ok {
				for _, legacy := range sortedKeys(t.exact) {
					if code := t.exact[legacy]; !list.Valid(code) {
						c.fail(path+".code_table", "code table %q maps %q to %q, which is not a %s code (%s)", t.name, legacy, code, list.Field(), codeValues(list))
						break
					}
				}
			}
		}
	} else if fm.CaseInsensitive {
		c.fail(path+".case_insensitive", "applies only together with code_table")
	}
	if fm.FromCatalog != nil {
		c.compileFromCatalog(path, mf, fm, fp)
	} else {
		c.compileCatalog(path, mf, fm, fp)
	}

	switch {
	case fm.MaxLen < 0:
		c.fail(path+".max_len", "must not be negative")
	case fm.MaxLen > 0 && mf.kind != kindString:
		c.fail(path+".max_len", "applies to text fields; %s is a %s field", mf.name, mf.kind)
	}
	if fm.Truncate && fm.MaxLen <= 0 {
		c.fail(path+".truncate", "needs max_len (the length to cut at)")
	}

	for i, n := range fm.Nulls {
		s, err := utf8Encoding.decodeString(n)
		switch {
		case err != nil:
			c.fail(fmt.Sprintf("%s.nulls[%d]", path, i), "%v", err)
		case s == "":
			c.fail(fmt.Sprintf("%s.nulls[%d]", path, i), "empty values already count as NULL")
		default:
			fp.nulls = append(fp.nulls, s)
		}
	}

	if hasConst {
		for _, o := range []struct {
			key string
			set bool
		}{
			{"default", fm.Default != ""}, {"code_table", fm.CodeTable != ""},
			{"encoding", fm.Encoding != ""}, {"nulls", len(fm.Nulls) > 0},
		} {
			if o.set {
				c.fail(path+"."+o.key, "has no effect with const (const is the value on the wire)")
			}
		}
		v, reason := c.literal(fp, fm.Const)
		if reason != "" {
			c.fail(path+".const", "%s", reason)
		} else if list, ok := wireCodeLists[mf.name]; ok && !list.Valid(v.s) {
			c.fail(path+".const", "%q is not a %s code (%s)", v.s, list.Field(), codeValues(list))
		}
		fp.fixed, fp.constVal = true, v
	}
	if fm.Default != "" && !hasConst {
		v, reason := c.literal(fp, fm.Default)
		if reason != "" {
			c.fail(path+".default", "%s", reason)
		} else if list, ok := wireCodeLists[mf.name]; ok && !list.Valid(v.s) {
			c.fail(path+".default", "%q is not a %s code (%s)", v.s, list.Field(), codeValues(list))
		}
		fp.hasDefault, fp.defaultVal = true, v
	}
	if len(c.errs) > errsBefore {
		return nil
	}
	return fp
}

// literal converts a const or default from the configuration to the
// field's kind. It is a wire value: no decoding, no code table.
func (c *compiler) literal(fp *fieldPlan, s string) (wireValue, string) {
	text, err := utf8Encoding.decodeString(s)
	if err != nil {
		return wireValue{}, err.Error()
	}
	if text == "" {
		return wireValue{}, "blank"
	}
	switch fp.kind {
	case kindString:
		if n := len([]rune(text)); fp.maxLen > 0 && n > fp.maxLen {
			return wireValue{}, fmt.Sprintf("%d characters, longer than max_len %d", n, fp.maxLen)
		}
		return wireValue{s: text}, ""
	case kindInt:
		n, reason := parseInt(text)
		if reason != "" {
			return wireValue{}, fmt.Sprintf("%q: %s", text, reason)
		}
		return wireValue{n: n}, ""
	case kindTime:
		if len(fp.layouts) == 0 {
			return wireValue{}, "a date needs format: with the layout it is written in"
		}
		t, reason := parseDate(fp.layouts, text, c.zone)
		if reason != "" {
			return wireValue{}, fmt.Sprintf("%q: %s", text, reason)
		}
		return wireValue{t: t}, ""
	}
	return wireValue{}, "unsupported field kind"
}

// wireCodeLists are the closed code lists of packet fields: a code table,
// const or default that produces anything else is a configuration error,
// found at start-up rather than on every record.
var wireCodeLists = map[string]packets.CodeList{
	"TrangThaiHoSo": packets.Statuses(),
	"TrangThai":     packets.Statuses(),
	"KenhThucHien":  packets.Channels(),
	"LoaiDoiTuong":  packets.ApplicantTypes(),
	"HinhThuc":      packets.DeliveryMethods(),
	"MucDoHaiLong":  packets.SatisfactionLevels(),
	"Diem":          packets.Scores(),
	"KenhDanhGia":   packets.RatingChannels(),
}

func codeValues(l packets.CodeList) string {
	var vals []string
	for _, c := range l.Codes() {
		vals = append(vals, c.Value)
	}
	return strings.Join(vals, ", ")
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func joinErrors(errs []error) error {
	return errors.Join(errs...)
}
