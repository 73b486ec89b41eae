package restjson

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-viper/mapstructure/v2"
	"github.com/hcmc-lgsp/lgsp-connector/connectors"
	"go.yaml.in/yaml/v3"
)

var update = flag.Bool("update", false, "rewrite testdata/config/*.err from the current messages")

// decodeSection decodes a source section of a YAML document the way the
// config loader does: defaults first, strict (unknown keys are errors),
// durations from text. keys lead to the section (source, or sources and
// a name); the loader reads type itself.
func decodeSection(t *testing.T, path string, keys ...string) *Config {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var node any
	if err := yaml.Unmarshal(raw, &node); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	for _, k := range keys {
		m, ok := node.(map[string]any)
		if !ok {
			t.Fatalf("%s has no %s section", path, strings.Join(keys, "."))
		}
		node = m[k]
	}
	section, ok := node.(map[string]any)
	if !ok {
		t.Fatalf("%s: %s is not a mapping", path, strings.Join(keys, "."))
	}
	if section["type"] != TypeName {
		t.Fatalf("%s: type is %v, want %s", path, section["type"], TypeName)
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
		t.Fatalf("%s: decode: %v", path, err)
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
			errs := decodeSection(t, f, "source").Validate()
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
				t.Errorf("a message reveals a password:\n%s", got.String())
			}
		})
	}
}

// The sample decodes strictly and validates, and covers every paging key
// of its style.
func TestSampleConfig(t *testing.T) {
	t.Setenv("KIOSK_API_KEY", "sample-key")
	cfg := decodeSection(t, "sample.yaml", "sources", "kiosk")
	if errs := cfg.Validate(); len(errs) != 0 {
		t.Fatalf("sample.yaml: %v", errors.Join(errs...))
	}
	sc, ok := cfg.Streams["danh_gia"]
	if !ok || sc.Paging.Type != PagingCursor || sc.Items != "data.items" || len(sc.Fields) == 0 {
		t.Fatalf("sample.yaml needs stream danh_gia with cursor paging, items and fields: %+v", cfg.Streams)
	}
	if _, err := NewSource(cfg, connectors.Settings{}); err != nil {
		t.Errorf("NewSource(sample): %v", err)
	}
	// Without the variable the sample says which one is missing.
	os.Unsetenv("KIOSK_API_KEY")
	errs := cfg.Validate()
	if len(errs) != 1 || errs[0].Error() != "headers.X-Api-Key: names the environment variable KIOSK_API_KEY, which is not set" {
		t.Errorf("sample without KIOSK_API_KEY: %v", errs)
	}
}

func TestValidateGoodConfigs(t *testing.T) {
	pem := filepath.Join(t.TempDir(), "ca.pem")
	_, ca := startTLSAPI(t, &vendorAPI{})
	raw, _ := os.ReadFile(ca)
	if err := os.WriteFile(pem, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := apiConfig("https://kiosk.example.vn/api/", ratingsStream("cursor", ""))
	cfg.TLS.CAFile = pem
	cfg.Headers = map[string]Secret{"Authorization": "Basic YWJjOmRlZg==", "X-Key": "a$b"} // a lone $ stays
	cfg.Streams["page"] = StreamConfig{Path: "/p", Key: "ma", KeyType: KeyString, Updated: "meta.updated", UpdatedFormat: []string{"unix_ms", "rfc3339"},
		Paging: PagingConfig{Type: PagingPage, FirstPage: intPtr(0), SizeParam: "limit"}, Lag: durationPtr(0)}
	cfg.Streams["token"] = StreamConfig{Path: "/t", Items: "rows", Key: "id", Updated: "u", Method: "POST", Body: `{"cursor": {{token}}, "n": {{page_size}}}`,
		Paging: PagingConfig{Type: PagingNextToken, TokenPath: "next"}, Fields: map[string]string{"id": "id", "a.b": "ab"}}
	cfg.StreamOrder = []string{"token"}
	if errs := cfg.Validate(); len(errs) != 0 {
		t.Fatalf("valid config rejected: %v", errors.Join(errs...))
	}
	if got := strings.Join(cfg.StreamNames(), ","); got != "token,danh_gia,page" {
		t.Errorf("StreamNames() = %s", got)
	}
}

func TestCAFileWithoutCertificate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(path, []byte("not a certificate\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := apiConfig("https://kiosk.example.vn", ratingsStream("cursor", ""))
	cfg.TLS.CAFile = path
	errs := cfg.Validate()
	if len(errs) != 1 || !strings.Contains(errs[0].Error(), "tls.ca_file: ") || !strings.Contains(errs[0].Error(), "holds no PEM certificate") {
		t.Errorf("CA file without a certificate: %v", errs)
	}
}

func TestDefaults(t *testing.T) {
	cfg := NewDefaultConfig()
	if cfg.Timeout != 30*time.Second || cfg.Retries != 3 || cfg.MaxBodySize != 32<<20 || cfg.Timezone != "Asia/Ho_Chi_Minh" {
		t.Errorf("defaults = %+v", cfg)
	}
	var s StreamConfig
	if s.lag() != DefaultLag || s.pageSize() != 100 || s.maxPages() != 50 || s.keyType() != KeyInt || s.method() != "GET" {
		t.Errorf("stream defaults: lag %s, page %d, pages %d, key %s, method %s", s.lag(), s.pageSize(), s.maxPages(), s.keyType(), s.method())
	}
	if zero := (StreamConfig{Lag: durationPtr(0)}); zero.lag() != 0 {
		t.Errorf("explicit lag 0 read as %s", zero.lag())
	}
	p := PagingConfig{Type: PagingCursor}
	if p.sinceParam() != "since" || p.afterParam() != "after_id" || p.sizeParam() != "page_size" || p.sinceFormat() != FormatRFC3339 {
		t.Errorf("cursor paging defaults: %q %q %q %q", p.sinceParam(), p.afterParam(), p.sizeParam(), p.sinceFormat())
	}
	p = PagingConfig{Type: PagingPage}
	if p.sinceParam() != "" || p.pageParam() != "page" || p.firstPage() != 1 {
		t.Errorf("page paging defaults: since %q, page %q, first %d", p.sinceParam(), p.pageParam(), p.firstPage())
	}
}

// Secrets print redacted however the config is printed or encoded.
func TestSecretsRedacted(t *testing.T) {
	const secret = "S3cret-Value"
	cfg := apiConfig("https://kiosk.example.vn", ratingsStream("cursor", ""))
	cfg.Headers = map[string]Secret{"X-Api-Key": secret}
	cfg.BearerToken = secret
	sc := cfg.Streams["danh_gia"]
	sc.Query = map[string]Secret{"key": secret}
	cfg.Streams["danh_gia"] = sc
	var outs []string
	for _, format := range []string{"%v", "%+v", "%#v", "%s", "%q", "%d", "%x"} {
		outs = append(outs, fmt.Sprintf(format, cfg), fmt.Sprintf(format, cfg.BearerToken))
	}
	j, _ := json.Marshal(cfg)
	y, _ := yaml.Marshal(cfg)
	outs = append(outs, string(j), string(y))
	for _, out := range outs {
		if strings.Contains(out, secret) {
			t.Errorf("secret shown: %s", out)
		}
	}
	if got := fmt.Sprint(cfg.BearerToken); got != "[REDACTED]" {
		t.Errorf("Secret prints %q", got)
	}
	if got := fmt.Sprint(Secret("")); got != "" {
		t.Errorf("an empty Secret prints %q; it should show it is unset", got)
	}
	if cfg.BearerToken.Reveal() != secret {
		t.Error("Reveal lost the value")
	}
}

func TestFactoryRegistered(t *testing.T) {
	f, ok := connectors.Lookup("rest_json")
	if !ok {
		t.Fatalf("rest_json not registered (have %v)", connectors.Types())
	}
	cfg, ok := f.CreateDefaultConfig().(*Config)
	if !ok || cfg.Timezone != DefaultTimezone {
		t.Fatalf("CreateDefaultConfig() = %#v", f.CreateDefaultConfig())
	}
	if _, err := f.CreateSource(connectors.Settings{}, Config{}); err == nil || !strings.Contains(err.Error(), "*restjson.Config") {
		t.Errorf("CreateSource with a non-pointer config: %v", err)
	}
	if _, err := f.CreateSource(connectors.Settings{}, cfg); err == nil || !strings.Contains(err.Error(), "base_url: is required") {
		t.Errorf("CreateSource with an empty config: %v; want the validation errors", err)
	}
	cfg.BaseURL = "https://kiosk.example.vn"
	cfg.Streams = map[string]StreamConfig{"danh_gia": ratingsStream("cursor", ""), "ho_so": ratingsStream("page", "")}
	src, err := f.CreateSource(connectors.Settings{}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if got := src.Streams(); len(got) != 2 || got[0] != "ho_so" {
		t.Errorf("Streams() = %v, want ho_so first", got)
	}
	if _, ok := src.(connectors.Checker); !ok {
		t.Error("source does not offer Check to the doctor")
	}
}

// Every field has a mapstructure tag: strict decoding rejects a misspelt
// key instead of ignoring it.
func TestStrictDecodingRejectsUnknownKeys(t *testing.T) {
	cfg := NewDefaultConfig()
	dec, err := mapstructure.NewDecoder(&mapstructure.DecoderConfig{Result: cfg, ErrorUnused: true})
	if err != nil {
		t.Fatal(err)
	}
	err = dec.Decode(map[string]any{"streams": map[string]any{"danh_gia": map[string]any{
		"path": "/r", "paging": map[string]any{"type": "cursor", "sinceparam": "from"},
	}}})
	if err == nil || !strings.Contains(err.Error(), "sinceparam") {
		t.Errorf("misspelt key accepted: %v", err)
	}
}
