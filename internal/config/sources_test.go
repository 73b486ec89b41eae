package config

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

// withSources is good.yaml plus a survey database under sources: and a
// mapping for its stream.
func withSources(t *testing.T) string {
	t.Helper()
	yml := readTestdata(t, "good.yaml")
	const mappingStreams = "mapping:\n  timezone: Asia/Ho_Chi_Minh\n"
	if !strings.Contains(yml, mappingStreams) {
		t.Fatalf("good.yaml no longer has %q", mappingStreams)
	}
	yml = strings.Replace(yml, "  streams:\n    ho_so:\n      packet: HoSo\n",
		"  streams:\n    danh_gia:\n      packet: TienDoXuLy\n      fields: {MaHoSo: so_ho_so}\n    ho_so:\n      packet: HoSo\n", 1)
	return yml + `
sources:
  khao_sat:
    type: fake
    dsn: "kiosk:kiosk-db-pass@tcp(10.0.0.9:3306)/survey"
    password: "kiosk-password"
    streams:
      danh_gia: {query: "SELECT * FROM phieu"}
`
}

func TestSourcesLoad(t *testing.T) {
	cfg, err := LoadBytes([]byte(withSources(t)), absTestdata(t), LoadOptions{IgnoreEnv: true})
	if err != nil {
		t.Fatal(err)
	}
	ks, ok := cfg.Sources["khao_sat"]
	if !ok || ks.Type != "fake" {
		t.Fatalf("sources = %+v, want khao_sat of type fake", cfg.Sources)
	}
	fc, ok := ks.Settings.(*fakeConfig)
	if !ok {
		t.Fatalf("sources.khao_sat settings are %T, want *fakeConfig", ks.Settings)
	}
	// The connector's defaults apply to each source on its own.
	if string(fc.DSN) != "kiosk:kiosk-db-pass@tcp(10.0.0.9:3306)/survey" || fc.Timeout != 30*time.Second || fc.Driver != "mysql" || fc.Lag != nil {
		t.Errorf("sources.khao_sat settings = %+v; want its dsn and the connector's defaults", fc)
	}
	if main := cfg.Source.Settings.(*fakeConfig); main.Timeout != 45*time.Second {
		t.Errorf("source.timeout = %s: the second source's defaults leaked into the first", main.Timeout)
	}

	var paths []string
	for _, ns := range cfg.AllSources() {
		paths = append(paths, ns.Path+"="+ns.Type)
	}
	if got := strings.Join(paths, " "); got != "source=fake sources.khao_sat=fake" {
		t.Errorf("AllSources = %s, want source first, then sources by name", got)
	}
	for stream, want := range map[string]string{"ho_so": "source", "qua_trinh_xu_ly": "source", "danh_gia": "sources.khao_sat", "nope": ""} {
		ns, ok := cfg.StreamSource(stream)
		if ns.Path != want || ok != (want != "") {
			t.Errorf("StreamSource(%s) = %q, %v; want %q", stream, ns.Path, ok, want)
		}
	}
}

func TestSourcesAloneAndOrder(t *testing.T) {
	yml := withSources(t)
	start, end := strings.Index(yml, "\nsource:\n"), strings.Index(yml, "\nmapping:\n")
	yml = yml[:start+1] + yml[end+1:] // no source: section
	yml = strings.Replace(yml, "    ho_so:\n      packet: HoSo", "    hs:\n      packet: HoSo", 1)
	yml += "  a_motcua:\n    type: fake\n    dsn: \"x:y@tcp(db:3306)/iso\"\n    streams: {hs: {query: \"SELECT 1\"}}\n"
	cfg, err := LoadBytes([]byte(yml), absTestdata(t), LoadOptions{IgnoreEnv: true})
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, ns := range cfg.AllSources() {
		paths = append(paths, ns.Path)
	}
	if got := strings.Join(paths, " "); got != "sources.a_motcua sources.khao_sat" || cfg.Source.Type != "" {
		t.Errorf("AllSources = %s (source.type %q); want the sources by name and no source:", got, cfg.Source.Type)
	}
}

func TestSourcesEnv(t *testing.T) {
	t.Setenv("LGSP_SOURCES_KHAO_SAT_DSN", "kiosk:env-pass@tcp(kiosk:3306)/survey")
	t.Setenv("LGSP_SOURCES_KHAO_SAT_TIMEOUT", "5s")
	t.Setenv("LGSP_SOURCE_DSN", "app:main-env@tcp(db:3306)/iso")
	t.Setenv("LGSP_SOURCES_WEB_TYPE", "fake")
	t.Setenv("LGSP_SOURCES_WEB_DSN", "web:pw@tcp(web:3306)/w")
	yml := strings.Replace(withSources(t), `    dsn: "kiosk:kiosk-db-pass@tcp(10.0.0.9:3306)/survey"`+"\n", "", 1)
	if strings.Contains(yml, "kiosk-db-pass") {
		t.Fatal("test setup: the kiosk DSN is still in the file")
	}
	// A source named in the file with its type from the environment.
	yml += "  web:\n    streams: {web_form: {query: \"SELECT 5\"}}\n"
	cfg, err := LoadBytes([]byte(yml), absTestdata(t), LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ks := cfg.Sources["khao_sat"].Settings.(*fakeConfig)
	web, _ := cfg.Sources["web"].Settings.(*fakeConfig)
	checks := []struct {
		name      string
		got, want any
	}{
		{"LGSP_SOURCES_KHAO_SAT_DSN", string(ks.DSN), "kiosk:env-pass@tcp(kiosk:3306)/survey"},
		{"LGSP_SOURCES_KHAO_SAT_TIMEOUT", ks.Timeout, 5 * time.Second},
		{"LGSP_SOURCE_DSN stays with source:", string(cfg.Source.Settings.(*fakeConfig).DSN), "app:main-env@tcp(db:3306)/iso"},
		{"LGSP_SOURCES_WEB_TYPE", cfg.Sources["web"].Type, "fake"},
		{"LGSP_SOURCES_WEB_DSN", web != nil && string(web.DSN) == "web:pw@tcp(web:3306)/w", true},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s: got %#v, want %#v", c.name, c.got, c.want)
		}
	}

	// A bad value from the environment names its variable.
	t.Setenv("LGSP_SOURCES_KHAO_SAT_TIMEOUT", "soon")
	_, err = LoadBytes([]byte(yml), absTestdata(t), LoadOptions{})
	want := `sources.khao_sat.timeout: cần khoảng thời gian có đơn vị, ví dụ "30s", "5m", "2h", "90d"; nhận được "soon" / must be a duration with a unit, e.g. "30s", "5m", "2h", "90d"; got "soon" (biến môi trường / environment variable LGSP_SOURCES_KHAO_SAT_TIMEOUT)`
	var verr *ValidationErrors
	if !errors.As(err, &verr) || len(verr.Problems) != 1 || verr.Problems[0].String() != want {
		t.Errorf("got %v\nwant exactly: %s", err, want)
	}
}

func TestSourcesProblemLines(t *testing.T) {
	yml := withSources(t) + "  kiosk:\n    type: fake\n    dsnn: x\n"
	lines := strings.Count(withSources(t), "\n")
	_, err := LoadBytes([]byte(yml), absTestdata(t), LoadOptions{IgnoreEnv: true})
	var verr *ValidationErrors
	if !errors.As(err, &verr) {
		t.Fatalf("want *ValidationErrors, got %v", err)
	}
	for _, p := range verr.Problems {
		if p.Path == "sources.kiosk.dsnn" {
			if p.Line != lines+3 {
				t.Errorf("line of sources.kiosk.dsnn = %d, want %d", p.Line, lines+3)
			}
			return
		}
	}
	t.Errorf("no problem at sources.kiosk.dsnn: %v", verr)
}

func TestSourcesRedacted(t *testing.T) {
	cfg, err := LoadBytes([]byte(withSources(t)), absTestdata(t), LoadOptions{IgnoreEnv: true})
	if err != nil {
		t.Fatal(err)
	}
	out := cfg.Redacted()
	for _, secret := range []string{"kiosk-db-pass", "kiosk-password", "s3cr3t-db", "lgsp-client-s3cr3t"} {
		if strings.Contains(out, secret) {
			t.Errorf("Redacted() leaks %q:\n%s", secret, out)
		}
	}
	var doc struct {
		Sources map[string]map[string]any `yaml:"sources"`
	}
	if err := yaml.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("Redacted() is not YAML: %v\n%s", err, out)
	}
	ks := doc.Sources["khao_sat"]
	for key, want := range map[string]any{
		"type": "fake", "dsn": "kiosk:xxxxx@tcp(10.0.0.9:3306)/survey", "password": "[REDACTED]", "timeout": "30s",
	} {
		if ks[key] != want {
			t.Errorf("Redacted sources.khao_sat.%s = %#v, want %#v", key, ks[key], want)
		}
	}
	// Without sources:, config show has no sources key at all.
	if out := loadGood(t, LoadOptions{IgnoreEnv: true}).Redacted(); strings.Contains(out, "sources:") {
		t.Errorf("Redacted() of a config without sources: shows one:\n%s", out)
	}
}

func TestSourceError(t *testing.T) {
	base := errors.New("base")
	tests := []struct {
		path, in, want string
	}{
		{"sources.khao_sat", "source.dsn: is required (prefer LGSP_SOURCE_DSN)", "sources.khao_sat.dsn: is required (prefer LGSP_SOURCES_KHAO_SAT_DSN)"},
		{"sources.khao_sat", `source.stream_order[0]: "x" is not a stream under source.streams (known: a)`, `sources.khao_sat.stream_order[0]: "x" is not a stream under sources.khao_sat.streams (known: a)`},
		{"sources.khao_sat", "source: must be a mapping", "sources.khao_sat: must be a mapping"},
		{"sources.khao_sat", "streams.ho_so.query: is required", "streams.ho_so.query: is required"},
		// Words that merely start with "source" stay.
		{"sources.kiosk", "the sources.kiosk and resource.x and source_id: unchanged", "the sources.kiosk and resource.x and source_id: unchanged"},
		{"sources.kiosk", `iso_dientu: set ("source.files") first`, `iso_dientu: set ("sources.kiosk.files") first`},
		{"source", "source.dsn: is required (prefer LGSP_SOURCE_DSN)", "source.dsn: is required (prefer LGSP_SOURCE_DSN)"},
	}
	for _, tt := range tests {
		err := SourceError(tt.path, fmt.Errorf("%s%w", tt.in, base))
		got := strings.TrimSuffix(err.Error(), "base")
		if got != tt.want {
			t.Errorf("SourceError(%s, %q) = %q, want %q", tt.path, tt.in, got, tt.want)
		}
		if !errors.Is(err, base) {
			t.Errorf("SourceError(%s, …) does not unwrap to the connector's error", tt.path)
		}
	}
	if SourceError("sources.x", nil) != nil {
		t.Error("SourceError of nil is not nil")
	}
}
