package mapping

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/go-viper/mapstructure/v2"
	"go.yaml.in/yaml/v3"
)

// loadConfigYAML decodes the `mapping:` section of a YAML document with
// mapstructure and DecodeHook, unknown keys rejected, keeping the case of
// keys as the connector's config loader does (internal/config parses the
// YAML itself for that reason).
func loadConfigYAML(doc []byte) (Config, error) {
	return decodeConfigYAML(doc, false)
}

// loadConfigYAMLLikeViper decodes as viper.UnmarshalKey would: every key
// lower-cased, weakly typed, DecodeHook composed before viper's default
// hooks.
func loadConfigYAMLLikeViper(doc []byte) (Config, error) {
	return decodeConfigYAML(doc, true)
}

func decodeConfigYAML(doc []byte, lower bool) (Config, error) {
	var root map[string]any
	if err := yaml.Unmarshal(doc, &root); err != nil {
		return Config{}, fmt.Errorf("yaml: %w", err)
	}
	if lower {
		root = lowerKeys(root).(map[string]any)
	}
	section, ok := root["mapping"]
	if !ok {
		return Config{}, fmt.Errorf("no mapping: section")
	}
	var cfg Config
	dec, err := mapstructure.NewDecoder(&mapstructure.DecoderConfig{
		DecodeHook: mapstructure.ComposeDecodeHookFunc(
			DecodeHook(),
			mapstructure.StringToTimeDurationHookFunc(),
			mapstructure.StringToSliceHookFunc(","),
		),
		WeaklyTypedInput: true,
		ErrorUnused:      true,
		Result:           &cfg,
	})
	if err != nil {
		return Config{}, err
	}
	if err := dec.Decode(section); err != nil {
		return Config{}, err
	}
	return cfg, nil
}

// lowerKeys imitates viper, which turns every map into map[string]any
// (non-string keys such as YAML integers printed with fmt) and lower-cases
// every key it reads.
func lowerKeys(v any) any {
	switch x := v.(type) {
	case map[any]any:
		m := make(map[string]any, len(x))
		for k, val := range x {
			m[fmt.Sprint(k)] = val
		}
		return lowerKeys(m)
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, val := range x {
			out[strings.ToLower(k)] = lowerKeys(val)
		}
		return out
	case []any:
		for i, e := range x {
			x[i] = lowerKeys(e)
		}
	}
	return v
}

// testInput is a golden input.json: one record, with JSON conventions for
// the driver types JSON lacks (see testdata/README.md).
type testInput struct {
	Stream string          `json:"stream"`
	Key    string          `json:"key"`
	Values json.RawMessage `json:"values"`
}

// decodeRecord turns the values object of input.json into driver values.
func decodeRecord(raw []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	out, err := driverValue(v)
	if err != nil {
		return nil, err
	}
	m, ok := out.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("values must be an object")
	}
	return m, nil
}

func driverValue(v any) (any, error) {
	switch x := v.(type) {
	case nil, string, bool:
		return x, nil
	case json.Number:
		if n, err := x.Int64(); err == nil && !strings.ContainsAny(x.String(), ".eE") {
			return n, nil
		}
		return x.Float64()
	case map[string]any:
		if len(x) == 1 {
			for k, val := range x {
				s, isString := val.(string)
				switch {
				case k == "$bytes_hex" && isString:
					return hex.DecodeString(s)
				case k == "$bytes" && isString:
					return []byte(s), nil
				case k == "$time" && isString:
					return time.Parse(time.RFC3339Nano, s)
				case strings.HasPrefix(k, "$"):
					return nil, fmt.Errorf("unknown convention %q", k)
				}
			}
		}
		row := make(map[string]any, len(x))
		for k, val := range x {
			dv, err := driverValue(val)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", k, err)
			}
			row[k] = dv
		}
		return row, nil
	case []any:
		rows := make([]map[string]any, len(x))
		for i, e := range x {
			dv, err := driverValue(e)
			if err != nil {
				return nil, fmt.Errorf("[%d]: %w", i, err)
			}
			row, ok := dv.(map[string]any)
			if !ok {
				return nil, fmt.Errorf("[%d]: child rows must be objects", i)
			}
			rows[i] = row
		}
		return rows, nil
	}
	return nil, fmt.Errorf("unexpected JSON value %T", v)
}

// mustMapper builds a mapper or fails the test.
func mustMapper(t testing.TB, cfg Config, o Options) *Mapper {
	t.Helper()
	m, err := New(cfg, o)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return m
}
