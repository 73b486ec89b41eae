package config

import (
	"encoding"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/go-viper/mapstructure/v2"
	"go.yaml.in/yaml/v3"
)

// parseYAML turns the document into plain values: map[string]any for
// mappings (keys keep their case), []any for sequences, the scalar's text
// as written for scalars (so "1.000" stays "1.000" and 0912 keeps its
// zero), nil for null. It records each key's line in ps.lines and reports
// duplicate keys.
func parseYAML(data []byte, ps *problems) (map[string]any, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, err
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return map[string]any{}, nil // empty file: all defaults
	}
	root := doc.Content[0]
	r := &yamlReader{ps: ps}
	v := r.value(root, "", 0)
	if r.tooBig {
		return nil, &shapeError{line: root.Line, msg: fmt.Sprintf(
			"tài liệu quá lớn khi mở rộng các alias (hơn %d giá trị) / the document is too large once aliases are expanded (more than %d values)",
			maxYAMLValues, maxYAMLValues)}
	}
	if v == nil {
		return map[string]any{}, nil
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, &shapeError{line: root.Line, msg: fmt.Sprintf(
			"tệp phải gồm các mục (unit:, source:, lgsp: …), không phải %s / the file must be a mapping of sections (unit:, source:, lgsp: …), not a %s",
			viKind(v), kindName(v))}
	}
	return m, nil
}

// Limits on the document once aliases are expanded: a configuration is
// small, and "billion laughs" aliases must not exhaust memory.
const (
	maxYAMLDepth  = 64
	maxYAMLValues = 100_000
)

// yamlReader converts nodes to plain values, counting them.
type yamlReader struct {
	ps     *problems
	values int
	tooBig bool
}

func (r *yamlReader) value(n *yaml.Node, path string, depth int) any {
	ps := r.ps
	if r.values++; r.values > maxYAMLValues {
		r.tooBig = true
		return nil
	}
	if depth > maxYAMLDepth {
		ps.add(path, "lồng quá sâu", "nested too deeply")
		return nil
	}
	switch n.Kind {
	case yaml.AliasNode:
		return r.value(n.Alias, path, depth+1)
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return nil
		}
		return n.Value
	case yaml.SequenceNode:
		out := make([]any, len(n.Content))
		for i, c := range n.Content {
			p := fmt.Sprintf("%s[%d]", path, i)
			ps.lines[p] = c.Line
			out[i] = r.value(c, p, depth+1)
		}
		return out
	case yaml.MappingNode:
		out := make(map[string]any, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if k.Tag == "!!merge" { // "<<: *defaults"
				if merged, ok := r.value(v, path, depth+1).(map[string]any); ok {
					for mk, mv := range merged {
						if _, set := out[mk]; !set {
							out[mk] = mv
						}
					}
				}
				continue
			}
			p := join(path, k.Value)
			if _, dup := out[k.Value]; dup {
				ps.lines[p] = k.Line
				ps.add(p, "khóa bị lặp lại", "duplicate key")
			}
			ps.lines[p] = k.Line
			out[k.Value] = r.value(v, p, depth+1)
		}
		return out
	}
	return nil
}

// shapeError is a well-formed YAML document that cannot be a
// configuration at all.
type shapeError struct {
	line int
	msg  string
}

func (e *shapeError) Error() string { return e.msg }

var yamlLineRE = regexp.MustCompile(`line (\d+)`)

func yamlProblem(err error) Problem {
	var se *shapeError
	if errors.As(err, &se) {
		return Problem{Line: se.line, Message: se.msg}
	}
	p := Problem{Message: "tệp YAML không hợp lệ / invalid YAML: " + strings.TrimPrefix(err.Error(), "yaml: ")}
	if m := yamlLineRE.FindStringSubmatch(err.Error()); m != nil {
		p.Line, _ = strconv.Atoi(m[1])
	}
	return p
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func kindName(v any) string {
	switch v.(type) {
	case map[string]any:
		return "mapping"
	case []any:
		return "list"
	case nil:
		return "null"
	}
	return "single value"
}

// decoder decodes plain values into typed targets strictly: unknown keys
// are errors, and every error names its key path.
type decoder struct {
	ps *problems
	// hook, when set, runs on every value before it is decoded, as
	// mapstructure would run it (the mapping section's short forms).
	hook mapstructure.DecodeHookFunc
}

var (
	durationType        = reflect.TypeFor[time.Duration]()
	textUnmarshalerType = reflect.TypeFor[encoding.TextUnmarshaler]()
)

func reflectValue(ptr any) reflect.Value { return reflect.ValueOf(ptr).Elem() }

// decode sets out from raw. A nil raw leaves out (its default) alone.
func (d *decoder) decode(path string, raw any, out reflect.Value) {
	if raw == nil {
		return
	}
	if d.hook != nil {
		v, err := mapstructure.DecodeHookExec(d.hook, reflect.ValueOf(raw), out)
		if err != nil {
			d.ps.add(path, "giá trị không hợp lệ: "+err.Error(), "invalid value: "+err.Error())
			return
		}
		if raw = v; raw == nil {
			return
		}
	}
	rv := reflect.ValueOf(raw)
	t := out.Type()

	switch {
	case t == durationType:
		d.decodeDuration(path, raw, out)
		return
	case t.Kind() == reflect.Interface:
		if rv.Type().AssignableTo(t) {
			out.Set(rv)
		}
		return
	case t.Kind() == reflect.Pointer:
		if out.IsNil() {
			out.Set(reflect.New(t.Elem()))
		}
		d.decode(path, raw, out.Elem())
		return
	case rv.Type() == t && t.Kind() != reflect.Map && t.Kind() != reflect.Struct:
		// A hook already produced the final value (e.g. []string).
		out.Set(rv)
		return
	case reflect.PointerTo(t).Implements(textUnmarshalerType) && rv.Kind() == reflect.String:
		if err := out.Addr().Interface().(encoding.TextUnmarshaler).UnmarshalText([]byte(rv.String())); err != nil {
			d.ps.add(path, "giá trị không hợp lệ: "+err.Error(), "invalid value: "+err.Error())
		}
		return
	}

	switch t.Kind() {
	case reflect.Struct:
		d.decodeStruct(path, rv, out)
	case reflect.Map:
		d.decodeMap(path, rv, out)
	case reflect.Slice:
		d.decodeSlice(path, rv, out)
	case reflect.String:
		s, ok := scalarText(rv)
		if !ok {
			d.ps.add(path, "cần một giá trị đơn, không phải "+viKind(raw), "must be a single value, not a "+kindName(raw))
			return
		}
		out.SetString(s)
	case reflect.Bool:
		s, _ := scalarText(rv)
		b, ok := parseBool(s)
		if !ok {
			d.ps.add(path, fmt.Sprintf("cần true hoặc false, nhận được %s", show(raw)), fmt.Sprintf("must be true or false, got %s", show(raw)))
			return
		}
		out.SetBool(b)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		s, _ := scalarText(rv)
		n, err := strconv.ParseInt(strings.TrimSpace(s), 10, t.Bits())
		if err != nil {
			d.ps.add(path, fmt.Sprintf("cần một số nguyên, nhận được %s", show(raw)), fmt.Sprintf("must be a whole number, got %s", show(raw)))
			return
		}
		out.SetInt(n)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		s, _ := scalarText(rv)
		n, err := strconv.ParseUint(strings.TrimSpace(s), 10, t.Bits())
		if err != nil {
			d.ps.add(path, fmt.Sprintf("cần một số nguyên không âm, nhận được %s", show(raw)), fmt.Sprintf("must be a whole number ≥ 0, got %s", show(raw)))
			return
		}
		out.SetUint(n)
	case reflect.Float32, reflect.Float64:
		s, _ := scalarText(rv)
		f, err := strconv.ParseFloat(strings.TrimSpace(s), t.Bits())
		if err != nil {
			d.ps.add(path, fmt.Sprintf("cần một số, nhận được %s", show(raw)), fmt.Sprintf("must be a number, got %s", show(raw)))
			return
		}
		out.SetFloat(f)
	default:
		d.ps.add(path, "kiểu "+t.String()+" không đọc được từ cấu hình", "type "+t.String()+" cannot be configured")
	}
}

func (d *decoder) decodeDuration(path string, raw any, out reflect.Value) {
	if v, ok := raw.(time.Duration); ok {
		out.SetInt(int64(v))
		return
	}
	s, ok := scalarText(reflect.ValueOf(raw))
	if !ok {
		d.ps.add(path, "cần một khoảng thời gian, không phải "+viKind(raw), "must be a duration, not a "+kindName(raw))
		return
	}
	dur, err := parseDuration(s)
	if err != nil {
		d.ps.add(path,
			fmt.Sprintf(`cần khoảng thời gian có đơn vị, ví dụ "30s", "5m", "2h", "90d"; nhận được %q`, s),
			fmt.Sprintf(`must be a duration with a unit, e.g. "30s", "5m", "2h", "90d"; got %q`, s))
		return
	}
	out.SetInt(int64(dur))
}

// parseDuration accepts Go durations ("30s", "1h30m") and whole days
// ("90d"), which is how retention is usually thought of. A bare number is
// refused (is "30" seconds or minutes?) except 0.
func parseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "0" {
		return 0, nil
	}
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n < 0 || n > 100*365 {
			return 0, errors.New("bad day count")
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	return time.ParseDuration(s)
}

// field is one configurable struct field.
type field struct {
	key   string
	index []int
}

// structFields lists the keys of a struct type: the mapstructure tag name,
// or the field name when untagged; `mapstructure:"-"` fields are not
// configurable; `,squash` embeds the fields of an embedded struct.
func structFields(t reflect.Type) []field {
	var out []field
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		tag := f.Tag.Get("mapstructure")
		name, opts, _ := strings.Cut(tag, ",")
		if name == "-" {
			continue
		}
		if strings.Contains(opts, "squash") && f.Type.Kind() == reflect.Struct {
			for _, sub := range structFields(f.Type) {
				out = append(out, field{key: sub.key, index: append([]int{i}, sub.index...)})
			}
			continue
		}
		if name == "" {
			name = f.Name
		}
		out = append(out, field{key: name, index: []int{i}})
	}
	return out
}

func (d *decoder) decodeStruct(path string, rv reflect.Value, out reflect.Value) {
	m, ok := stringMap(rv)
	if !ok {
		d.ps.add(path, "cần một nhóm khóa, không phải "+viKind(rv.Interface()), "must be a mapping of keys, not a "+kindName(rv.Interface()))
		return
	}
	fields := structFields(out.Type())
	byKey := make(map[string]field, len(fields))
	known := make([]string, len(fields))
	for i, f := range fields {
		byKey[f.key] = f
		known[i] = f.key
	}
	for _, k := range sortedKeys(m) {
		f, ok := byKey[k]
		if !ok {
			d.unknownKey(join(path, k), k, known)
			continue
		}
		d.decode(join(path, k), m[k], out.FieldByIndex(f.index))
	}
}

func (d *decoder) unknownKey(path, key string, known []string) {
	if s := suggest(key, known); s != "" {
		d.ps.add(path, "khóa không hợp lệ (có phải "+s+"?)", "unknown key (did you mean "+s+"?)")
		if i := strings.LastIndexByte(path, '.'); i >= 0 {
			d.ps.suggested[path[:i+1]+s] = true
		} else {
			d.ps.suggested[s] = true
		}
		return
	}
	list := strings.Join(known, ", ")
	d.ps.add(path, "khóa không hợp lệ (các khóa hợp lệ: "+list+")", "unknown key (valid keys: "+list+")")
}

func (d *decoder) decodeMap(path string, rv reflect.Value, out reflect.Value) {
	m, ok := stringMap(rv)
	if !ok {
		d.ps.add(path, "cần một nhóm khóa, không phải "+viKind(rv.Interface()), "must be a mapping of keys, not a "+kindName(rv.Interface()))
		return
	}
	t := out.Type()
	if t.Key().Kind() != reflect.String {
		d.ps.add(path, "kiểu "+t.String()+" không đọc được từ cấu hình", "type "+t.String()+" cannot be configured")
		return
	}
	if out.IsNil() {
		out.Set(reflect.MakeMapWithSize(t, len(m)))
	}
	for _, k := range sortedKeys(m) {
		key := reflect.ValueOf(k).Convert(t.Key())
		elem := reflect.New(t.Elem()).Elem()
		if existing := out.MapIndex(key); existing.IsValid() {
			elem.Set(existing) // keep defaults of a partly given entry
		}
		if m[k] == nil && t.Elem().Kind() == reflect.String {
			elem.SetString("")
		} else {
			d.decode(join(path, k), m[k], elem)
		}
		out.SetMapIndex(key, elem)
	}
}

func (d *decoder) decodeSlice(path string, rv reflect.Value, out reflect.Value) {
	if rv.Kind() != reflect.Slice && rv.Kind() != reflect.Array {
		d.ps.add(path, "cần một danh sách, không phải "+viKind(rv.Interface()), "must be a list, not a "+kindName(rv.Interface()))
		return
	}
	s := reflect.MakeSlice(out.Type(), rv.Len(), rv.Len())
	for i := 0; i < rv.Len(); i++ {
		d.decode(fmt.Sprintf("%s[%d]", path, i), rv.Index(i).Interface(), s.Index(i))
	}
	out.Set(s)
}

// stringMap returns rv as map[string]any when it is a map with string
// keys (a hook may hand over map[string]string).
func stringMap(rv reflect.Value) (map[string]any, bool) {
	if rv.Kind() != reflect.Map || rv.Type().Key().Kind() != reflect.String {
		return nil, false
	}
	if m, ok := rv.Interface().(map[string]any); ok {
		return m, true
	}
	out := make(map[string]any, rv.Len())
	it := rv.MapRange()
	for it.Next() {
		out[it.Key().String()] = it.Value().Interface()
	}
	return out, true
}

// scalarText returns the text of a scalar: strings as they are, numbers
// and booleans a hook produced in their usual form.
func scalarText(rv reflect.Value) (string, bool) {
	switch rv.Kind() {
	case reflect.String:
		return rv.String(), true
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return strconv.FormatInt(rv.Int(), 10), true
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return strconv.FormatUint(rv.Uint(), 10), true
	case reflect.Float32, reflect.Float64:
		return strconv.FormatFloat(rv.Float(), 'f', -1, 64), true
	case reflect.Bool:
		return strconv.FormatBool(rv.Bool()), true
	}
	return "", false
}

func parseBool(s string) (bool, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true", "yes", "on", "1":
		return true, true
	case "false", "no", "off", "0":
		return false, true
	}
	return false, false
}

// show quotes a value for a message; long values are cut.
func show(v any) string {
	s, ok := scalarText(reflect.ValueOf(v))
	if !ok {
		return "a " + kindName(v)
	}
	if len(s) > 60 {
		s = s[:60] + "…"
	}
	return strconv.Quote(s)
}

func viKind(v any) string {
	switch v.(type) {
	case map[string]any:
		return "một nhóm khóa"
	case []any:
		return "một danh sách"
	}
	return "một giá trị đơn"
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// suggest returns the known key closest to key, if it is close enough to
// be a typo: equal ignoring case, '_' and '-', or within a small edit
// distance.
func suggest(key string, known []string) string {
	nk := normalize(key)
	best, bestDist := "", 1<<30
	for _, k := range known {
		if normalize(k) == nk {
			return k
		}
		dist := levenshtein(nk, normalize(k))
		if dist < bestDist || (dist == bestDist && k < best) {
			best, bestDist = k, dist
		}
	}
	limit := 2
	if len(nk) <= 4 {
		limit = 1
	}
	if bestDist <= limit {
		return best
	}
	return ""
}

func normalize(s string) string {
	return strings.NewReplacer("_", "", "-", "", " ", "").Replace(strings.ToLower(s))
}

func levenshtein(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
