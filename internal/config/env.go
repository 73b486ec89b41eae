package config

import (
	"reflect"
	"sort"
	"strings"

	"github.com/spf13/viper"
)

// envPrefix starts every environment variable the connector reads.
const envPrefix = "LGSP"

// leaf is a key that can be set from the environment: a scalar (string,
// number, bool, duration, secret) or an entry of a string map that has a
// default (lgsp.endpoints.HoSo).
type leaf struct {
	path string   // as the user writes it, e.g. lgsp.endpoints.HoSo
	keys []string // path split into keys, case kept
}

// envVar is the variable that sets path, e.g. LGSP_LGSP_CLIENT_SECRET.
func envVar(path string) string {
	return envPrefix + "_" + strings.ToUpper(strings.ReplaceAll(path, ".", "_"))
}

// configLeaves lists the settable keys of the top-level sections (the
// source's own keys are listed once its type is known; the mapping is
// data, not settings, and is not overlaid).
func configLeaves() []leaf {
	var out []leaf
	collectLeaves(nil, reflect.ValueOf(defaults()).Elem(), &out)
	return out
}

// collectLeaves walks v (holding defaults) and appends its settable keys.
func collectLeaves(prefix []string, v reflect.Value, out *[]leaf) {
	t := v.Type()
	switch {
	case t == durationType:
		*out = append(*out, newLeaf(prefix))
		return
	case t.Kind() == reflect.Pointer:
		elem := t.Elem()
		if isScalarKind(elem.Kind()) {
			*out = append(*out, newLeaf(prefix))
		} else if elem.Kind() == reflect.Struct && !v.IsNil() {
			collectLeaves(prefix, v.Elem(), out)
		}
		return
	case isScalarKind(t.Kind()):
		*out = append(*out, newLeaf(prefix))
		return
	case t.Kind() == reflect.Map && t.Key().Kind() == reflect.String && t.Elem().Kind() == reflect.String:
		keys := make([]string, 0, v.Len())
		for _, k := range v.MapKeys() {
			keys = append(keys, k.String())
		}
		sort.Strings(keys)
		for _, k := range keys {
			*out = append(*out, newLeaf(append(append([]string{}, prefix...), k)))
		}
		return
	case t.Kind() == reflect.Struct:
		if t == reflect.TypeFor[Source]() {
			*out = append(*out, newLeaf(append(append([]string{}, prefix...), "type")))
			return
		}
		if len(prefix) == 1 && prefix[0] == "mapping" {
			return
		}
		for _, f := range structFields(t) {
			collectLeaves(append(append([]string{}, prefix...), f.key), v.FieldByIndex(f.index), out)
		}
	}
	// Slices, maps of structs and interfaces are lists and data: file only.
}

func newLeaf(keys []string) leaf {
	return leaf{path: strings.Join(keys, "."), keys: keys}
}

func isScalarKind(k reflect.Kind) bool {
	switch k {
	case reflect.String, reflect.Bool,
		reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		return true
	}
	return false
}

// envOverlay reads LGSP_* variables through a private viper instance:
// each known key is bound to its variable, and a variable that is set
// (and not empty) wins over the file.
type envOverlay struct {
	v *viper.Viper // nil when the environment is ignored
}

func newEnvOverlay(enabled bool) *envOverlay {
	if !enabled {
		return &envOverlay{}
	}
	v := viper.New()
	v.SetEnvPrefix(envPrefix)
	v.SetEnvKeyReplacer(strings.NewReplacer(".", "_"))
	return &envOverlay{v: v}
}

// apply writes the environment's values for leaves into tree.
func (e *envOverlay) apply(tree map[string]any, leaves []leaf, ps *problems) {
	if e.v == nil {
		return
	}
	for _, l := range leaves {
		if err := e.v.BindEnv(l.path); err != nil {
			continue // only fails for an empty key
		}
		if !e.v.IsSet(l.path) {
			continue
		}
		if setPath(tree, l.keys, e.v.GetString(l.path)) {
			ps.env[l.path] = envVar(l.path)
		}
	}
}

// setPath sets keys (a path below tree) to value, creating sections that
// the file does not have. It leaves the tree alone, and returns false,
// where the file has something other than a mapping on the way; decoding
// reports that.
func setPath(tree map[string]any, keys []string, value string) bool {
	m := tree
	for _, k := range keys[:len(keys)-1] {
		next, exists := m[k]
		if !exists || next == nil {
			created := map[string]any{}
			m[k] = created
			m = created
			continue
		}
		sub, ok := next.(map[string]any)
		if !ok {
			return false
		}
		m = sub
	}
	m[keys[len(keys)-1]] = value
	return true
}
