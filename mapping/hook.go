package mapping

import (
	"fmt"
	"reflect"
	"strconv"

	"github.com/go-viper/mapstructure/v2"
)

var (
	fieldMappingType = reflect.TypeFor[FieldMapping]()
	stringSliceType  = reflect.TypeFor[[]string]()
	codeTableType    = reflect.TypeFor[map[string]string]()
)

// DecodeHook lets the YAML use the short forms of the mapping when a config
// loader decodes it with mapstructure (with viper: viper.DecodeHook,
// composed before viper's own hooks, whose comma-splitting would cut
// layouts such as "Jan 2, 2006"):
//
//   - a field written as a bare string is its column:
//     `MaHoSo: so_ho_so` means `MaHoSo: {column: so_ho_so}`;
//   - format (and nulls) accept one string or a list;
//   - a code table may be a list of {legacy, code} pairs instead of a map;
//     unlike map keys, list values keep their letter case through loaders
//     that lower-case keys (viper does);
//   - codes may be written as bare numbers (DANG_XU_LY: 4).
func DecodeHook() mapstructure.DecodeHookFunc {
	return mapstructure.DecodeHookFuncType(decodeHook)
}

func decodeHook(_, to reflect.Type, data any) (any, error) {
	switch to {
	case fieldMappingType:
		if s, ok := data.(string); ok {
			return map[string]any{"column": s}, nil
		}
	case stringSliceType:
		if s, ok := data.(string); ok {
			return []string{s}, nil
		}
	case codeTableType:
		if list, ok := data.([]any); ok {
			return codeTableFromList(list)
		}
		if m, ok := asStringMap(data); ok {
			return codeTableFromMap(m)
		}
	}
	return data, nil
}

// codeTableFromList turns [{legacy: "Đang xử lý", code: 4}, …] into a map.
func codeTableFromList(list []any) (map[string]string, error) {
	out := make(map[string]string, len(list))
	for i, item := range list {
		entry, ok := asStringMap(item)
		if !ok {
			return nil, fmt.Errorf("code table entry %d: want {legacy: …, code: …}, got %T", i, item)
		}
		for k := range entry {
			if k != "legacy" && k != "code" {
				return nil, fmt.Errorf("code table entry %d: unknown key %q (want legacy and code)", i, k)
			}
		}
		legacy, okL := scalarText(entry["legacy"])
		code, okC := scalarText(entry["code"])
		if !okL || !okC {
			return nil, fmt.Errorf("code table entry %d: legacy and code must both be set to text or numbers", i)
		}
		if _, dup := out[legacy]; dup {
			return nil, fmt.Errorf("code table entry %d: legacy value %q appears twice", i, legacy)
		}
		out[legacy] = code
	}
	return out, nil
}

// codeTableFromMap accepts codes written as bare numbers (DANG_XU_LY: 4).
func codeTableFromMap(m map[string]any) (map[string]string, error) {
	out := make(map[string]string, len(m))
	for k, v := range m {
		code, ok := scalarText(v)
		if !ok {
			return nil, fmt.Errorf("code table entry %q: the code must be text or a number, got %T", k, v)
		}
		out[k] = code
	}
	return out, nil
}

func asStringMap(v any) (map[string]any, bool) {
	switch m := v.(type) {
	case map[string]any:
		return m, true
	case map[any]any: // YAML keys that are numbers (0: "False")
		out := make(map[string]any, len(m))
		for k, val := range m {
			ks, ok := scalarText(k)
			if !ok {
				return nil, false
			}
			out[ks] = val
		}
		return out, true
	}
	return nil, false
}

// scalarText renders a YAML scalar (status codes are often written as
// bare numbers) as text.
func scalarText(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case int:
		return strconv.Itoa(x), true
	case int64:
		return strconv.FormatInt(x, 10), true
	case uint64:
		return strconv.FormatUint(x, 10), true
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), true
	case bool:
		return strconv.FormatBool(x), true
	}
	return "", false
}
