package mapping

import (
	"fmt"
	"reflect"
	"sort"
	"strings"
	"time"

	"golang.org/x/text/unicode/norm"

	"github.com/hcmc-lgsp/lgsp-connector/packets"
)

// Catalogs answers lookups in the shared code catalogs (units, officials,
// procedures, LayThuTuc …; the connector's internal/catalog cache). at is
// the record's date: a code is known only on the days its catalog entry
// is valid. extra holds the entry's other attributes (TENTTHC, MALINHVUC
// …) and must not be modified.
type Catalogs interface {
	Lookup(catalog, code string, at time.Time) (name string, extra map[string]string, ok bool)
}

// CatalogStatus is optionally implemented by a Catalogs: New refuses a
// mapping that uses a catalog never fetched, rather than quarantine every
// record as "unknown code".
type CatalogStatus interface {
	Loaded(catalog string) bool
}

// UnitRename maps the code of a unit dissolved in 2025 (a district, a
// merged ward) to its successor for records dated From or later; earlier
// records keep the old code, which was valid then.
type UnitRename struct {
	Old, New string
	From     time.Time
}

// CatalogRef fills a field from the catalog entry of another field's
// value (from_catalog: {catalog: LayThuTuc, key: MaTTHC, value: TENTTHC}).
type CatalogRef struct {
	// Catalog is the catalog to look the key up in.
	Catalog string `mapstructure:"catalog"`
	// Key is the packet field (of the same record or list item) whose
	// mapped value is the code.
	Key string `mapstructure:"key"`
	// Value is the entry attribute to copy: "name" (or empty) for the
	// entry's name, else an extra attribute such as TENTTHC or MALINHVUC.
	Value string `mapstructure:"value"`
}

// defaultCatalogDate is the field whose value is "the record's date" for
// catalog lookups, by packet kind.
var defaultCatalogDate = map[packets.Kind]string{
	packets.KindDossier:  "NgayTiepNhan",
	packets.KindProgress: "ThoiDiemXuLy",
	packets.KindRating:   "ThoiDiemDanhGia",
}

// catalogPlan is a field's catalog options: map, rename, check.
type catalogPlan struct {
	catalog string     // the value must be a code of this catalog ("" = no check)
	table   *codeTable // catalog_map: local → national codes
	rename  bool       // apply Options.UnitRenames
	value   string     // catalog_value: "" keeps the code, "name" or an extra attribute replaces it
}

// fromCatalogPlan fills a field from another field's catalog entry.
type fromCatalogPlan struct {
	catalog  string
	keyName  string
	keyIndex int
	value    string // "" = the entry's name
}

// catalogRuntime is what Map needs for catalog options.
type catalogRuntime struct {
	catalogs Catalogs
	renames  map[string][]UnitRename // by old code, latest From first
}

// pendingCheck is a field whose catalog options run once the record's
// date is known (it may be filled after the field).
type pendingCheck struct {
	f   *fieldPlan
	dst reflect.Value
	raw any
	at  *location
}

// pendingFill is a from_catalog field of one struct.
type pendingFill struct {
	f      *fieldPlan
	parent reflect.Value
	at     *location
}

// compileCatalog reads a field's catalog options. It runs after the
// field's code table is known.
func (c *compiler) compileCatalog(path string, mf *modelField, fm FieldMapping, fp *fieldPlan) {
	cat := strings.TrimSpace(fm.Catalog)
	if fm.CatalogMap == "" && cat == "" && !fm.RenameUnits && fm.CatalogValue == "" {
		return
	}
	if mf.kind != kindString {
		c.fail(path, "catalog options apply to text fields; %s is a %s field", mf.name, mf.kind)
		return
	}
	if fm.Const != "" {
		c.fail(path, "catalog options and const are exclusive: a const is already the value on the wire")
		return
	}
	p := &catalogPlan{catalog: cat, rename: fm.RenameUnits, value: strings.TrimSpace(fm.CatalogValue)}
	if p.value != "" && cat == "" {
		c.fail(path+".catalog_value", "needs catalog: (the catalog whose entry gives the value)")
	}
	if cat != "" && !validCatalogName(cat) {
		c.fail(path+".catalog", "catalog name %q: use letters, digits and _ (e.g. LayThuTuc, units)", fm.Catalog)
	}
	if fm.CatalogMap != "" {
		t, ok := c.tables[strings.ToLower(strings.TrimSpace(fm.CatalogMap))]
		switch {
		case !ok:
			known := c.names
			if known == "" {
				known = "none defined under mapping.code_tables"
			}
			c.fail(path+".catalog_map", "unknown code table %q (known: %s)", fm.CatalogMap, known)
		case fm.CodeTable != "":
			c.fail(path+".catalog_map", "code_table and catalog_map are exclusive: catalog_map is a code table whose missing values may pass as themselves")
		case cat == "":
			c.fail(path+".catalog_map", "needs catalog: (a value the table lacks passes only if it is a code of that catalog)")
		default:
			p.table = t
		}
	}
	if cat != "" {
		c.catalogUses = append(c.catalogUses, catalogUse{path: path + ".catalog", name: cat})
	}
	c.usesCatalogDate = true
	fp.cat = p
}

// compileFromCatalog reads from_catalog. The key is resolved against the
// struct's other fields by linkFromCatalog.
func (c *compiler) compileFromCatalog(path string, mf *modelField, fm FieldMapping, fp *fieldPlan) {
	ref := fm.FromCatalog
	path += ".from_catalog"
	if mf.kind != kindString {
		c.fail(path, "fills text fields; %s is a %s field", mf.name, mf.kind)
		return
	}
	for _, o := range []struct {
		key string
		set bool
	}{
		{"column", fm.Column != ""}, {"const", fm.Const != ""}, {"code_table", fm.CodeTable != ""},
		{"catalog", fm.Catalog != ""}, {"catalog_map", fm.CatalogMap != ""}, {"catalog_value", fm.CatalogValue != ""},
		{"rename_units", fm.RenameUnits},
		{"encoding", fm.Encoding != ""}, {"nulls", len(fm.Nulls) > 0},
	} {
		if o.set {
			c.fail(path, "from_catalog and %s are exclusive: the value comes from the catalog entry", o.key)
		}
	}
	cat := strings.TrimSpace(ref.Catalog)
	switch {
	case cat == "":
		c.fail(path+".catalog", "required: the catalog to look the key up in (e.g. LayThuTuc)")
	case !validCatalogName(cat):
		c.fail(path+".catalog", "catalog name %q: use letters, digits and _ (e.g. LayThuTuc, units)", ref.Catalog)
	default:
		c.catalogUses = append(c.catalogUses, catalogUse{path: path + ".catalog", name: cat})
	}
	if strings.TrimSpace(ref.Key) == "" {
		c.fail(path+".key", "required: the field whose value is the code (e.g. MaTTHC)")
	}
	value := strings.TrimSpace(ref.Value)
	if strings.EqualFold(value, "name") {
		value = ""
	}
	c.usesCatalogDate = true
	fp.from = &fromCatalogPlan{catalog: cat, keyName: strings.TrimSpace(ref.Key), keyIndex: -1, value: value}
}

// linkFromCatalog resolves the keys of a struct's from_catalog fields and
// orders the fills so a field filled from the catalog can key another
// (MaLinhVuc from LayThuTuc, then TenLinhVuc from LayDanhMucLinhVuc).
func (c *compiler) linkFromCatalog(path string, model *modelStruct, sp *structPlan) {
	byIndex := map[int]*fieldPlan{}
	for _, f := range sp.fields {
		byIndex[f.index] = f
	}
	var fills []*fieldPlan
	kept := sp.fields[:0]
	for _, f := range sp.fields {
		if f.from == nil {
			kept = append(kept, f)
			continue
		}
		fpath := path + ".fields." + f.name + ".from_catalog.key"
		mf, ok := model.field(f.from.keyName)
		switch {
		case f.from.keyName == "":
		case !ok:
			c.fail(fpath, "%s has no field %q%s", model.name, f.from.keyName, didYouMean(model.suggest(f.from.keyName, false)))
		case mf.index == f.index:
			c.fail(fpath, "a field cannot be filled from its own value")
		case byIndex[mf.index] == nil:
			c.fail(fpath, "the key field %s is not mapped; map it (e.g. from a column) so there is a code to look up", mf.name)
		case mf.kind != kindString:
			c.fail(fpath, "the key field %s is a %s field; keys are codes (text)", mf.name, mf.kind)
		case byIndex[mf.index].cat != nil && byIndex[mf.index].cat.value != "":
			c.fail(fpath, "the key field %s puts a catalog attribute (catalog_value) on the wire, not a code to look up", mf.name)
		default:
			f.from.keyIndex = mf.index
			f.from.keyName = mf.name
		}
		fills = append(fills, f)
	}
	sp.fields = kept
	// Order: a fill whose key is itself filled comes after that fill.
	done := map[int]bool{}
	for len(fills) > 0 {
		progressed := false
		rest := fills[:0]
		for _, f := range fills {
			key := byIndex[f.from.keyIndex]
			if f.from.keyIndex < 0 || key == nil || key.from == nil || done[key.index] {
				sp.fills = append(sp.fills, f)
				done[f.index] = true
				progressed = true
				continue
			}
			rest = append(rest, f)
		}
		fills = rest
		if !progressed {
			var names []string
			for _, f := range fills {
				names = append(names, f.name)
			}
			sort.Strings(names)
			c.fail(path+".fields", "from_catalog keys form a cycle (%s): each field would wait for another", strings.Join(names, ", "))
			return
		}
	}
}

// compileCatalogDate finds the field whose value dates a record for
// catalog lookups: catalog_date, else the packet kind's default.
func (c *compiler) compileCatalogDate(path string, sm StreamMapping, kind *packetKind, body *structPlan, sp *streamPlan) {
	name := strings.TrimSpace(sm.CatalogDate)
	if name == "" && !c.usesCatalogDate {
		return
	}
	key := path + ".catalog_date"
	if name == "" {
		name = defaultCatalogDate[kind.kind]
		if name == "" {
			c.fail(key, "set catalog_date: the date field catalog lookups of a %s use", kind.kind)
			return
		}
	}
	mf, ok := kind.body.field(name)
	switch {
	case !ok:
		c.fail(key, "%s has no field %q%s", kind.body.name, name, didYouMean(kind.body.suggest(name, false)))
		return
	case mf.kind != kindTime:
		c.fail(key, "%s is a %s field; catalog lookups need a date field", mf.name, mf.kind)
		return
	}
	mapped := false
	for _, f := range body.fields {
		mapped = mapped || f.index == mf.index
	}
	if !mapped && c.usesCatalogDate {
		c.fail(key, "%s dates the record for catalog lookups but is not mapped; map it or name another date field in catalog_date", mf.name)
		return
	}
	sp.dateIndex, sp.dateName = mf.index, mf.name
}

// catalogUse is one reference to a catalog, for the checks New makes.
type catalogUse struct {
	path, name string
}

func validCatalogName(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, r := range s {
		if !(r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return false
		}
	}
	return true
}

// checkRuntime makes the checks that need Options: catalogs used without
// a catalog cache, catalogs never fetched, bad unit renames.
func checkRuntime(uses []catalogUse, o Options) ([]error, *catalogRuntime) {
	var errs []error
	fail := func(path, format string, args ...any) {
		errs = append(errs, &ConfigError{Path: path, Reason: fmt.Sprintf(format, args...)})
	}
	status, _ := o.Catalogs.(CatalogStatus)
	for _, u := range uses {
		switch {
		case o.Catalogs == nil:
			fail(u.path, "uses catalog %q, but no catalog cache is configured; add the catalogs: section (or remove the catalog options)", u.name)
		case status != nil && !status.Loaded(u.name):
			fail(u.path, "catalog %q has never been fetched; add it to catalogs.refresh and run: lgsp-connector catalogs sync %s", u.name, u.name)
		}
	}
	rt := &catalogRuntime{catalogs: o.Catalogs, renames: map[string][]UnitRename{}}
	for i, r := range o.UnitRenames {
		path := fmt.Sprintf("catalogs.unit_renames[%d]", i)
		old, nu := strings.TrimSpace(r.Old), strings.TrimSpace(r.New)
		switch {
		case old == "" || nu == "":
			fail(path, "old and new unit codes are both required")
			continue
		case old == nu:
			fail(path, "old and new unit codes are the same (%q)", old)
			continue
		case r.From.IsZero():
			fail(path, "from (the date the successor took over, e.g. 2025-07-01) is required")
			continue
		}
		for _, prev := range rt.renames[old] {
			if prev.From.Equal(r.From) {
				fail(path, "unit %q is renamed twice from %s", old, r.From.In(packets.VietnamZone).Format(time.DateOnly))
			}
		}
		rt.renames[old] = append(rt.renames[old], UnitRename{Old: old, New: nu, From: r.From})
	}
	for old := range rt.renames {
		list := rt.renames[old]
		sort.Slice(list, func(i, j int) bool { return list[i].From.After(list[j].From) })
	}
	return errs, rt
}

// rename follows the renames of code in force at t (a chain ends after a
// few steps; a cycle is cut there).
func (rt *catalogRuntime) rename(code string, t time.Time) string {
	for range 8 {
		next := ""
		for _, r := range rt.renames[code] {
			if !t.Before(r.From) {
				next = r.New
				break
			}
		}
		if next == "" {
			return code
		}
		code = next
	}
	return code
}

// resolveCatalogs runs the catalog options of one mapped record, once
// its date is known: first the checked fields (map, rename, check), then
// the fills, which read the checked values.
func (r *run) resolveCatalogs(sp *streamPlan, body reflect.Value) *Error {
	if len(r.pending) == 0 && len(r.fills) == 0 {
		return nil
	}
	date := body.Field(sp.dateIndex).Interface().(packets.Time).Time
	if date.IsZero() {
		f := sp.dateName
		return &Error{Field: f, Reason: fmt.Sprintf("empty, but catalog lookups need the record's date (%s); fix the source or name another date field in catalog_date", f)}
	}
	day := date.In(packets.VietnamZone).Format(time.DateOnly)
	for _, p := range r.pending {
		if err := r.checkCatalog(p, date, day, sp.dateName); err != nil {
			return err
		}
	}
	for _, p := range r.fills {
		if err := r.fillFromCatalog(p, date, day); err != nil {
			return err
		}
	}
	return nil
}

func (r *run) checkCatalog(p pendingCheck, date time.Time, day, dateName string) *Error {
	f, cp := p.f, p.f.cat
	value := p.dst.String()
	code, fromTable := value, false
	if cp.table != nil {
		if mapped, ok := cp.table.exact[value]; ok {
			code, fromTable = mapped, true
		}
	}
	renamed := ""
	if cp.rename && r.cat != nil {
		if next := r.cat.rename(code, date); next != code {
			renamed, code = code, next
		}
	}
	if cp.catalog != "" {
		if r.cat == nil || r.cat.catalogs == nil {
			return valueError(f, p.at, p.raw, fmt.Sprintf("catalog %q is not available (no catalog cache configured)", cp.catalog))
		}
		name, extra, ok := r.cat.catalogs.Lookup(cp.catalog, code, date)
		if !ok {
			return valueError(f, p.at, p.raw, unknownCodeReason(cp, code, fromTable, renamed, day, dateName))
		}
		switch {
		case cp.value == "":
		case strings.EqualFold(cp.value, "name"):
			code = name
		default:
			code = extra[cp.value]
		}
		if cp.value != "" {
			code = norm.NFC.String(strings.TrimSpace(code))
			if code == "" {
				return valueError(f, p.at, p.raw, fmt.Sprintf("the entry of catalog %q on %s has no %s to put on the wire", cp.catalog, day, cp.value))
			}
			v, _, reason := r.fitLength(f, code, p.at)
			if reason != "" {
				return valueError(f, p.at, p.raw, reason+" (the value came from catalog "+cp.catalog+")")
			}
			code = v.s
		}
	}
	p.dst.SetString(code)
	return nil
}

// unknownCodeReason says which catalog lacks the code, on which day, and
// what the user can do about it.
func unknownCodeReason(cp *catalogPlan, code string, fromTable bool, renamed, day, dateName string) string {
	switch {
	case fromTable:
		return fmt.Sprintf("code %q (from code table %q) is not in catalog %q on %s (%s); fix the table, or refresh the catalog: lgsp-connector catalogs sync %s",
			code, cp.table.name, cp.catalog, day, dateName, cp.catalog)
	case cp.table != nil:
		return fmt.Sprintf("not in code table %q and not itself a code of catalog %q on %s (%s); add it to mapping.code_tables.%s",
			cp.table.name, cp.catalog, day, dateName, cp.table.name)
	case renamed != "":
		return fmt.Sprintf("unit %q was renamed to %q (catalogs.unit_renames), which is not in catalog %q on %s (%s); fix the rename or refresh the catalog",
			renamed, code, cp.catalog, day, dateName)
	case cp.rename:
		return fmt.Sprintf("not in catalog %q on %s (%s); if the unit was dissolved in 2025, add it to catalogs.unit_renames with its successor",
			cp.catalog, day, dateName)
	}
	return fmt.Sprintf("not in catalog %q on %s (%s); check the code, or refresh the catalog: lgsp-connector catalogs sync %s",
		cp.catalog, day, dateName, cp.catalog)
}

func (r *run) fillFromCatalog(p pendingFill, date time.Time, day string) *Error {
	f, fc := p.f, p.f.from
	dst := p.parent.Field(f.index)
	key := ""
	if fc.keyIndex >= 0 {
		key = p.parent.Field(fc.keyIndex).String()
	}
	text := ""
	if key != "" {
		if r.cat == nil || r.cat.catalogs == nil {
			return &Error{Field: p.at.field(f.name), Reason: fmt.Sprintf("catalog %q is not available (no catalog cache configured)", fc.catalog)}
		}
		name, extra, ok := r.cat.catalogs.Lookup(fc.catalog, key, date)
		if !ok {
			return &Error{Field: p.at.field(f.name), Value: quoteText(key), valueLen: len([]rune(key)),
				Reason: fmt.Sprintf("cannot fill it: %s %q is not in catalog %q on %s", fc.keyName, key, fc.catalog, day)}
		}
		text = name
		if fc.value != "" {
			text = extra[fc.value]
		}
		text = norm.NFC.String(strings.TrimSpace(text))
	}
	if text == "" {
		switch {
		case f.hasDefault:
			f.defaultVal.store(f.kind, dst)
			return nil
		case f.required && key == "":
			return &Error{Field: p.at.field(f.name), Reason: fmt.Sprintf("required, but %s (the key to look up in catalog %q) is empty", fc.keyName, fc.catalog)}
		case f.required:
			what := "a name"
			if fc.value != "" {
				what = fc.value
			}
			return &Error{Field: p.at.field(f.name), Value: quoteText(key),
				Reason: fmt.Sprintf("required, but the entry %q of catalog %q has no %s on %s", key, fc.catalog, what, day)}
		}
		dst.SetString("")
		return nil
	}
	v, _, reason := r.fitLength(f, text, p.at)
	if reason != "" {
		return &Error{Field: p.at.field(f.name), Value: quoteText(text), valueLen: len([]rune(text)), Reason: reason + " (the value came from catalog " + fc.catalog + ")"}
	}
	dst.SetString(v.s)
	return nil
}

// CatalogsUsed lists the catalogs the mapping refers to (catalog,
// catalog_map's catalog, from_catalog), sorted, so the configuration can
// check they are refreshed.
func (c Config) CatalogsUsed() []string {
	seen := map[string]bool{}
	var walk func(fields map[string]FieldMapping, lists map[string]ListMapping)
	walk = func(fields map[string]FieldMapping, lists map[string]ListMapping) {
		for _, fm := range fields {
			if n := strings.TrimSpace(fm.Catalog); n != "" {
				seen[n] = true
			}
			if fm.FromCatalog != nil && strings.TrimSpace(fm.FromCatalog.Catalog) != "" {
				seen[strings.TrimSpace(fm.FromCatalog.Catalog)] = true
			}
		}
		for _, lm := range lists {
			walk(lm.Fields, lm.Lists)
		}
	}
	for _, sm := range c.Streams {
		walk(sm.Fields, sm.Lists)
	}
	return sortedKeys(seen)
}
