package isodientu

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-viper/mapstructure/v2"
	"go.yaml.in/yaml/v3"
)

var update = flag.Bool("update", false, "rewrite testdata/config/*.err from the current messages")

// decodeSource decodes the `source:` section of a YAML document the way
// the config loader does: defaults first, strict (unknown keys are
// errors), durations from text. The loader reads `type` itself.
func decodeSource(t *testing.T, path string) *Config {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	section, ok := doc["source"].(map[string]any)
	if !ok {
		t.Fatalf("%s has no source: section", path)
	}
	delete(section, "type")
	cfg := NewDefaultConfig()
	dec, err := mapstructure.NewDecoder(&mapstructure.DecoderConfig{
		Result: cfg, ErrorUnused: true, WeaklyTypedInput: true,
		DecodeHook: mapstructure.StringToTimeDurationHookFunc(),
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := dec.Decode(section); err != nil {
		t.Fatalf("%s: decode source: %v", path, err)
	}
	return cfg
}

// Each testdata/config/*.yaml is one broken configuration; its .err file
// holds Validate's messages, one per line. Run with -update to rewrite.
func TestValidateBadConfigs(t *testing.T) {
	files, err := filepath.Glob("testdata/config/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no testdata/config/*.yaml (%v)", err)
	}
	for _, f := range files {
		t.Run(strings.TrimSuffix(filepath.Base(f), ".yaml"), func(t *testing.T) {
			errs := decodeSource(t, f).Validate()
			var got strings.Builder
			for _, e := range errs {
				got.WriteString(e.Error() + "\n")
			}
			golden := strings.TrimSuffix(f, ".yaml") + ".err"
			if *update {
				if err := os.WriteFile(golden, []byte(got.String()), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -run TestValidateBadConfigs -update)", err)
			}
			if got.String() != string(want) {
				t.Errorf("Validate messages:\n%s\nwant:\n%s", got.String(), want)
			}
			if len(errs) == 0 {
				t.Errorf("%s is meant to be invalid but validates", f)
			}
			if strings.Contains(got.String(), "Pa55word") {
				t.Errorf("a message reveals the DSN password:\n%s", got.String())
			}
		})
	}
}

func TestValidateGoodConfig(t *testing.T) {
	cfg := testConfig(DriverMySQL, "u:p@tcp(127.0.0.1:3306)/motcua", hoSoStream())
	cfg.Streams["ho_so"] = StreamConfig{
		Query:  "  select id, ngay_cap_nhat from hs_hoso;\n",
		Cursor: CursorConfig{Updated: "ngay_cap_nhat", Key: "id"},
		Lag:    durationPtr(0), StartDate: "2025-07-01",
	}
	cfg.Streams["qua_trinh_xu_ly"] = StreamConfig{
		Query:  "WITH q AS (SELECT * FROM hs_qua_trinh) SELECT id, NgàyCậpNhật FROM q",
		Cursor: CursorConfig{Updated: "NgàyCậpNhật", Key: "id", KeyType: KeyString, UpdatedFormat: "2006-01-02T15:04:05"},
	}
	cfg.StreamOrder = []string{"qua_trinh_xu_ly"}
	cfg.DSN = "u:p@tcp(127.0.0.1:3306)/motcua?loc=Asia%2FHo_Chi_Minh" // same zone, escaped: no conflict
	if errs := cfg.Validate(); len(errs) != 0 {
		t.Fatalf("valid config rejected: %v", errors.Join(errs...))
	}
}

func TestDefaults(t *testing.T) {
	cfg := NewDefaultConfig()
	if cfg.Driver != DriverMySQL || cfg.Timezone != "Asia/Ho_Chi_Minh" || cfg.QueryTimeout != 30*time.Second || cfg.MaxOpenConns != 2 {
		t.Errorf("defaults = %+v", cfg)
	}
	var s StreamConfig
	if s.lag() != DefaultLag || s.batchSize() != DefaultBatchSize || s.keyType() != KeyInt {
		t.Errorf("stream defaults: lag %s, batch %d, key type %s", s.lag(), s.batchSize(), s.keyType())
	}
	if zero := (StreamConfig{Lag: durationPtr(0)}); zero.lag() != 0 {
		t.Errorf("explicit lag 0 read as %s", zero.lag())
	}
	for driver, want := range map[string]string{DriverMySQL: "", DriverPostgres: "", DriverSQLite: DefaultSQLiteLayout} {
		c := &Config{Driver: driver}
		if got := c.updatedFormat(StreamConfig{}); got != want {
			t.Errorf("%s: default updated_format %q, want %q", driver, got, want)
		}
		if got := c.updatedFormat(StreamConfig{Cursor: CursorConfig{UpdatedFormat: "x"}}); got != "x" {
			t.Errorf("%s: configured updated_format ignored", driver)
		}
	}
}

func TestStreamOrder(t *testing.T) {
	streams := map[string]StreamConfig{"qua_trinh_xu_ly": {}, "ho_so": {}, "danh_gia": {}}
	tests := []struct {
		order []string
		want  []string
	}{
		{nil, []string{"ho_so", "danh_gia", "qua_trinh_xu_ly"}},
		{[]string{"qua_trinh_xu_ly"}, []string{"qua_trinh_xu_ly", "ho_so", "danh_gia"}},
		{[]string{"danh_gia", "ho_so", "qua_trinh_xu_ly"}, []string{"danh_gia", "ho_so", "qua_trinh_xu_ly"}},
	}
	for _, tc := range tests {
		c := &Config{Streams: streams, StreamOrder: tc.order}
		if got := c.streamOrder(); !slices.Equal(got, tc.want) {
			t.Errorf("stream_order %v → %v, want %v", tc.order, got, tc.want)
		}
	}
}

// The DSN never prints its password, however the config is printed.
func TestDSNPrintsRedacted(t *testing.T) {
	cfg := testConfig(DriverMySQL, "lgsp_reader:Pa55word!@tcp(10.0.0.5:3306)/motcua", hoSoStream())
	for _, format := range []string{"%v", "%+v", "%#v", "%s"} {
		out := fmt.Sprintf(format, cfg)
		if strings.Contains(out, "Pa55word") {
			t.Errorf("fmt %s reveals the password: %s", format, out)
		}
	}
	if got := cfg.DSN.String(); got != "lgsp_reader:xxxxx@tcp(10.0.0.5:3306)/motcua" {
		t.Errorf("DSN.String() = %q", got)
	}
}

// sample.yaml and the project's config.example.yaml decode strictly into
// this config and validate, and the sample documents every source key the
// example uses.
func TestSampleConfigs(t *testing.T) {
	sample := decodeSource(t, "sample.yaml")
	if errs := sample.Validate(); len(errs) != 0 {
		t.Fatalf("sample.yaml: %v", errors.Join(errs...))
	}
	ho, ok := sample.Streams["ho_so"]
	if !ok || len(ho.Children) == 0 {
		t.Fatalf("sample.yaml needs stream ho_so with a child list, got %+v", sample.Streams)
	}
	if _, ok := sample.Streams["qua_trinh_xu_ly"]; !ok {
		t.Fatal("sample.yaml needs stream qua_trinh_xu_ly")
	}

	const example = "../../config.example.yaml"
	if _, err := os.Stat(example); err != nil {
		t.Fatalf("config.example.yaml: %v", err)
	}
	if errs := decodeSource(t, example).Validate(); len(errs) != 0 {
		t.Fatalf("config.example.yaml: %v", errors.Join(errs...))
	}
	sampleKeys := sourceKeys(t, "sample.yaml")
	for _, k := range sourceKeys(t, example) {
		if !slices.Contains(sampleKeys, k) {
			t.Errorf("config.example.yaml uses source key %s that sample.yaml does not show", k)
		}
	}
}

// sourceKeys lists the key paths under source:, with stream and child
// names replaced by *.
func sourceKeys(t *testing.T, path string) []string {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	var keys []string
	var walk func(prefix string, v any)
	walk = func(prefix string, v any) {
		m, ok := v.(map[string]any)
		if !ok {
			keys = append(keys, prefix)
			return
		}
		for k, sub := range m {
			if strings.HasSuffix(prefix, ".streams") || strings.HasSuffix(prefix, ".children") {
				k = "*"
			}
			walk(prefix+"."+k, sub)
		}
	}
	walk("source", doc["source"])
	slices.Sort(keys)
	return slices.Compact(keys)
}
