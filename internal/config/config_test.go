package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

var update = flag.Bool("update", false, "rewrite testdata/bad/*.err from the current messages (review the diff!)")

func absTestdata(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs("testdata")
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

func loadGood(t *testing.T, o LoadOptions) *Config {
	t.Helper()
	cfg, err := Load(filepath.Join("testdata", "good.yaml"), o)
	if err != nil {
		t.Fatalf("good.yaml: %v", err)
	}
	return cfg
}

func TestLoadGood(t *testing.T) {
	cfg := loadGood(t, LoadOptions{IgnoreEnv: true})
	dir := absTestdata(t)

	checks := []struct {
		name      string
		got, want any
	}{
		{"unit.code", cfg.Unit.Code, "000.00.12.H29"},
		{"unit.name", cfg.Unit.Name, "UBND phường Sài Gòn"},
		{"source.type", cfg.Source.Type, "fake"},
		{"lgsp.base_url", cfg.LGSP.BaseURL, "https://lgsp.example.vn"},
		{"lgsp.client_secret", cfg.LGSP.ClientSecret.Reveal(), "lgsp-client-s3cr3t"},
		{"lgsp.timeout", cfg.LGSP.Timeout, 10 * time.Second},
		{"lgsp.ca_file resolved", cfg.LGSP.CAFile, filepath.Join(dir, "certs", "ca.pem")},
		{"lgsp.endpoints.HoSo overridden", cfg.LGSP.Endpoints["HoSo"], "/kho-du-lieu/2.0/ho-so"},
		{"lgsp.endpoints.TienDoXuLy default kept", cfg.LGSP.Endpoints["TienDoXuLy"], "/kho-du-lieu/1.0/tien-do-xu-ly"},
		{"lgsp.headers keep case of value", cfg.LGSP.Headers["dstcode"], "VN:GOV:000.00.00.H29"},
		{"lgsp.profile default", cfg.LGSP.Profile, "hcm-lgsp"},
		{"lgsp.receiver default", cfg.LGSP.Receiver, "000.00.00.H29"},
		{"lgsp.quick_retries default", cfg.LGSP.QuickRetries, 2},
		{"signing.cert_file resolved", cfg.Signing.CertFile, filepath.Join(dir, "certs", "sign.crt")},
		{"signing.passphrase", cfg.Signing.Passphrase.Reveal(), "pem-pass-phrase"},
		{"signing.algorithm default", cfg.Signing.Algorithm, "rsa-sha256"},
		{"store.path resolved", cfg.Store.Path, filepath.Join(dir, "lgsp-connector.db")},
		{"store.retention in days", cfg.Store.Retention, 30 * 24 * time.Hour},
		{"delivery.workers", cfg.Delivery.Workers, 8},
		{"delivery.lease default", cfg.Delivery.Lease, 2 * time.Minute},
		{"delivery.max_attempts default", cfg.Delivery.MaxAttempts, 50},
		{"schedule.poll", cfg.Schedule.Poll, "*/15 * * * * *"},
		{"schedule.timezone default", cfg.Schedule.Timezone, "Asia/Ho_Chi_Minh"},
		{"validation.mahoso_policy default", cfg.Validation.MaHoSoPolicy, "warn"},
		{"log.format", cfg.Log.Format, "json"},
		{"log.mask_keys", strings.Join(cfg.Log.MaskKeys, ","), "ten_cong_dan"},
		{"admin.listen default", cfg.Admin.Listen, "127.0.0.1:9464"},
		// The mapping keeps the case of field names and legacy values, and
		// dotted keys stay whole.
		{"mapping short form", cfg.Mapping.Streams["ho_so"].Fields["MaTTHC"].Column, "ma_thu_tuc"},
		{"mapping field", cfg.Mapping.Streams["ho_so"].Fields["MaHoSo"].Required, true},
		{"mapping format from one string", strings.Join(cfg.Mapping.Streams["ho_so"].Fields["NgayTiepNhan"].Format, "|"), "2006-01-02 15:04:05"},
		{"code table key case kept", cfg.Mapping.CodeTables["trang_thai"]["DA_TIEP_NHAN"], "2"},
		{"code table bare number", cfg.Mapping.CodeTables["trang_thai"]["DangXuLy"], "4"},
		{"code table dotted key", cfg.Mapping.CodeTables["trang_thai"]["1.5"], "9"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %#v, want %#v", c.name, c.got, c.want)
		}
	}

	fc, ok := cfg.Source.Settings.(*fakeConfig)
	if !ok {
		t.Fatalf("source settings are %T, want *fakeConfig", cfg.Source.Settings)
	}
	if string(fc.DSN) != "app:s3cr3t-db@tcp(10.0.0.5:3306)/iso" || fc.Timeout != 45*time.Second || fc.Driver != "mysql" {
		t.Errorf("source settings = %+v", fc)
	}
	if fc.Lag == nil || *fc.Lag != 0 {
		t.Errorf("source.lag: 0s must give a non-nil zero, got %v", fc.Lag)
	}
	if got := fc.StreamNames(); strings.Join(got, ",") != "ho_so,qua_trinh_xu_ly" {
		t.Errorf("streams = %v", got)
	}
}

// TestBadConfigs loads every testdata/bad/<name>.yaml and compares the
// problems with <name>.err, one "path: message" per line. In a .err file
// $DIR stands for the absolute path of testdata/bad and $TESTDATA for
// testdata.
func TestBadConfigs(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "bad", "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no bad configs found: %v", err)
	}
	badDir, _ := filepath.Abs(filepath.Join("testdata", "bad"))
	placeholders := strings.NewReplacer(badDir, "$DIR", absTestdata(t), "$TESTDATA")
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".yaml")
		t.Run(name, func(t *testing.T) {
			_, err := Load(file, LoadOptions{IgnoreEnv: true})
			var verr *ValidationErrors
			if !errors.As(err, &verr) {
				t.Fatalf("Load = %v, want *ValidationErrors", err)
			}
			if verr.File != file {
				t.Errorf("ValidationErrors.File = %q, want %q", verr.File, file)
			}
			var got []string
			for _, p := range verr.Problems {
				got = append(got, placeholders.Replace(p.String()))
			}
			errFile := strings.TrimSuffix(file, ".yaml") + ".err"
			if *update {
				if err := os.WriteFile(errFile, []byte(strings.Join(got, "\n")+"\n"), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			raw, err := os.ReadFile(errFile)
			if err != nil {
				t.Fatalf("missing %s (run with -update, then review it): %v", errFile, err)
			}
			want := strings.Split(strings.TrimRight(string(raw), "\n"), "\n")
			sort.Strings(got)
			sort.Strings(want)
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("problems differ.\n got:\n  %s\nwant:\n  %s\nfull error:\n%v",
					strings.Join(got, "\n  "), strings.Join(want, "\n  "), err)
			}
			// Every problem also appears in the error text users see.
			for _, p := range verr.Problems {
				if !strings.Contains(verr.Error(), p.String()) {
					t.Errorf("Error() lacks %q", p.String())
				}
			}
		})
	}
}

func TestProblemLinesPointIntoTheFile(t *testing.T) {
	yml := strings.Join([]string{
		"unit:",                         // 1
		"  code: 000.00.12.H29",         // 2
		"lgsp:",                         // 3
		"  base_url: https://x.example", // 4
		"  clientid: abc",               // 5
		"delivery:",                     // 6
		"  workers: many",               // 7
		"  lease: 5",                    // 8
	}, "\n")
	_, err := LoadBytes([]byte(yml), t.TempDir(), LoadOptions{IgnoreEnv: true, SkipFileChecks: true})
	var verr *ValidationErrors
	if !errors.As(err, &verr) {
		t.Fatalf("want *ValidationErrors, got %v", err)
	}
	lines := map[string]int{}
	for _, p := range verr.Problems {
		lines[p.Path] = p.Line
	}
	for path, want := range map[string]int{"lgsp.clientid": 5, "delivery.workers": 7, "delivery.lease": 8, "source.type": 0} {
		if lines[path] != want {
			t.Errorf("line of %s = %d, want %d (all: %v)", path, lines[path], want, lines)
		}
	}
	if !strings.Contains(verr.Error(), "lgsp.clientid: khóa không hợp lệ (có phải client_id?) / unknown key (did you mean client_id?) [dòng/line 5]") {
		t.Errorf("Error() does not show the line:\n%v", verr)
	}
	// The typo is reported once, not also as "client_id: required".
	if _, dup := lines["lgsp.client_id"]; dup {
		t.Errorf("a typo was reported twice: %v", verr)
	}
}

func TestEnvOverrides(t *testing.T) {
	t.Setenv("LGSP_LGSP_CLIENT_SECRET", "secret-from-env")
	t.Setenv("LGSP_SOURCE_DSN", "app:env-db-pass@tcp(db:3306)/iso")
	t.Setenv("LGSP_DELIVERY_WORKERS", "16")
	t.Setenv("LGSP_LGSP_TIMEOUT", "1m")
	t.Setenv("LGSP_LGSP_ENDPOINTS_DANHGIA", "/kho-du-lieu/9.9/danh-gia")
	t.Setenv("LGSP_SIGNING_PASSPHRASE", "p12-from-env")
	t.Setenv("LGSP_LOG_LEVEL", "warn")
	t.Setenv("LGSP_ADMIN_LISTEN", "") // empty means unset, the file's value stays

	// The file has no client_secret and no dsn: those come from the
	// environment alone.
	yml := readTestdata(t, "good.yaml")
	yml = strings.Replace(yml, `  client_secret: "lgsp-client-s3cr3t"`+"\n", "", 1)
	yml = strings.Replace(yml, `  dsn: "app:s3cr3t-db@tcp(10.0.0.5:3306)/iso"`+"\n", "", 1)
	if strings.Contains(yml, "client_secret") || strings.Contains(yml, "dsn:") {
		t.Fatal("test setup: secrets still in the file")
	}
	cfg, err := LoadBytes([]byte(yml), absTestdata(t), LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	fc := cfg.Source.Settings.(*fakeConfig)
	checks := []struct {
		name      string
		got, want any
	}{
		{"LGSP_LGSP_CLIENT_SECRET", cfg.LGSP.ClientSecret.Reveal(), "secret-from-env"},
		{"LGSP_SOURCE_DSN", string(fc.DSN), "app:env-db-pass@tcp(db:3306)/iso"},
		{"LGSP_DELIVERY_WORKERS", cfg.Delivery.Workers, 16},
		{"LGSP_LGSP_TIMEOUT", cfg.LGSP.Timeout, time.Minute},
		{"LGSP_LGSP_ENDPOINTS_DANHGIA", cfg.LGSP.Endpoints["DanhGia"], "/kho-du-lieu/9.9/danh-gia"},
		{"LGSP_SIGNING_PASSPHRASE", cfg.Signing.Passphrase.Reveal(), "p12-from-env"},
		{"LGSP_LOG_LEVEL", cfg.Log.Level, "warn"},
		{"empty LGSP_ADMIN_LISTEN", cfg.Admin.Listen, "127.0.0.1:9464"},
		{"file value without env", cfg.LGSP.ClientID, "connector-phuong-sai-gon"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s: got %#v, want %#v", c.name, c.got, c.want)
		}
	}

	// IgnoreEnv: the file alone, so the secrets are missing.
	_, err = LoadBytes([]byte(yml), absTestdata(t), LoadOptions{IgnoreEnv: true})
	if err == nil || !strings.Contains(err.Error(), "lgsp.client_secret: bắt buộc") || !strings.Contains(err.Error(), "source.dsn: is required") {
		t.Errorf("IgnoreEnv: want missing secrets reported, got %v", err)
	}
}

func TestEnvOnlySourceTypeAndBadEnvValue(t *testing.T) {
	t.Setenv("LGSP_SOURCE_TYPE", "fake")
	t.Setenv("LGSP_DELIVERY_WORKERS", "many")
	yml := strings.Replace(readTestdata(t, "good.yaml"), "  type: fake\n", "", 1)
	_, err := LoadBytes([]byte(yml), absTestdata(t), LoadOptions{})
	var verr *ValidationErrors
	if !errors.As(err, &verr) {
		t.Fatalf("want *ValidationErrors, got %v", err)
	}
	want := `delivery.workers: cần một số nguyên, nhận được "many" / must be a whole number, got "many" (biến môi trường / environment variable LGSP_DELIVERY_WORKERS)`
	if len(verr.Problems) != 1 || verr.Problems[0].String() != want {
		t.Errorf("problems = %v\nwant exactly: %s", verr.Problems, want)
	}
}

func TestRelativePathsResolveAgainstConfigDir(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "keys"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"keys/sign.crt", "keys/sign.key"} {
		if err := os.WriteFile(filepath.Join(dir, f), []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	yml := strings.NewReplacer(
		"certs/sign.crt", "keys/sign.crt", "certs/sign.key", "keys/sign.key", "  ca_file: certs/ca.pem\n", "",
	).Replace(readTestdata(t, "good.yaml"))
	path := filepath.Join(dir, "lgsp-connector.yaml")
	if err := os.WriteFile(path, []byte(yml), 0o600); err != nil {
		t.Fatal(err)
	}
	// Load from another working directory: paths must not depend on it.
	cfg, err := Load(path, LoadOptions{IgnoreEnv: true})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Signing.CertFile != filepath.Join(dir, "keys", "sign.crt") || cfg.Store.Path != filepath.Join(dir, "lgsp-connector.db") {
		t.Errorf("paths not resolved against %s: cert %s, store %s", dir, cfg.Signing.CertFile, cfg.Store.Path)
	}
	if _, err := Load(filepath.Join(dir, "nope.yaml"), LoadOptions{}); err == nil || !strings.Contains(err.Error(), "nope.yaml") {
		t.Errorf("missing file error = %v", err)
	}
}

func TestSecretNeverPrinted(t *testing.T) {
	cfg := loadGood(t, LoadOptions{IgnoreEnv: true})
	secrets := []string{"lgsp-client-s3cr3t", "pem-pass-phrase", "s3cr3t-db", "fake-connector-password", "plain-conn-pass"}

	var outputs []string
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%d"} {
		outputs = append(outputs,
			fmt.Sprintf(verb, cfg.LGSP.ClientSecret),
			fmt.Sprintf(verb, cfg.LGSP),
			fmt.Sprintf(verb, cfg.Signing),
		)
	}
	outputs = append(outputs, fmt.Sprintf("%+v", *cfg), fmt.Sprintf("%#v", *cfg))
	j, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	y, err := yaml.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	slog.New(slog.NewTextHandler(&logs, nil)).Info("cfg", "secret", cfg.LGSP.ClientSecret, "lgsp", cfg.LGSP)
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("cfg", "secret", cfg.LGSP.ClientSecret, "signing", cfg.Signing)
	outputs = append(outputs, string(j), string(y), logs.String(), cfg.Redacted())

	for i, out := range outputs {
		for _, s := range secrets[:2] { // the config's own Secret values
			if strings.Contains(out, s) {
				t.Errorf("output %d leaks %q: %s", i, s, out)
			}
		}
	}
	red := cfg.Redacted()
	for _, s := range secrets {
		if strings.Contains(red, s) {
			t.Errorf("Redacted() leaks %q:\n%s", s, red)
		}
	}
	if !strings.Contains(fmt.Sprint(cfg.LGSP.ClientSecret), "[REDACTED]") {
		t.Error("a set secret should print [REDACTED]")
	}
	if fmt.Sprint(Secret("")) != "" {
		t.Error("an empty secret should print empty, so 'not set' stays visible")
	}
}

func TestRedacted(t *testing.T) {
	cfg := loadGood(t, LoadOptions{IgnoreEnv: true})
	out := cfg.Redacted()
	var doc map[string]any
	if err := yaml.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("Redacted() is not YAML: %v\n%s", err, out)
	}
	get := func(path string) any {
		var cur any = doc
		for _, k := range strings.Split(path, ".") {
			m, ok := cur.(map[string]any)
			if !ok {
				return nil
			}
			cur = m[k]
		}
		return cur
	}
	checks := map[string]any{
		"unit.code":                 "000.00.12.H29",
		"lgsp.client_secret":        "[REDACTED]",
		"lgsp.timeout":              "10s",
		"lgsp.endpoints.TienDoXuLy": "/kho-du-lieu/1.0/tien-do-xu-ly",
		"signing.passphrase":        "[REDACTED]",
		"store.retention":           "30d",
		"delivery.workers":          8,
		"source.type":               "fake",
		"source.dsn":                "app:xxxxx@tcp(10.0.0.5:3306)/iso", // the type redacts itself
		"source.password":           "[REDACTED]",
		"source.connection_string":  nil, // plain string: left out
		"source.timeout":            "45s",
		"source.lag":                "0s", // a set pointer to zero is shown
		"mapping.code_tables.trang_thai.DA_TIEP_NHAN": "2",
		"mapping.streams.ho_so.fields.MaTTHC.column":  "ma_thu_tuc",
		"mapping.streams.ho_so.fields.MaTTHC.const":   nil, // zero values left out in mapping
		"admin.listen": "127.0.0.1:9464",
	}
	for path, want := range checks {
		if got := get(path); got != want {
			t.Errorf("Redacted %s = %#v, want %#v", path, got, want)
		}
	}
	if t.Failed() {
		t.Logf("Redacted():\n%s", out)
	}
}

func TestDocumentShape(t *testing.T) {
	// Aliases nested ten deep, ten wide: 10^10 values once expanded.
	var b strings.Builder
	b.WriteString("l0: &l0 [x, x, x, x, x, x, x, x, x, x]\n")
	for i := 1; i <= 10; i++ {
		fmt.Fprintf(&b, "l%d: &l%d [", i, i)
		for j := 0; j < 10; j++ {
			if j > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "*l%d", i-1)
		}
		b.WriteString("]\n")
	}
	tests := map[string]struct{ doc, want string }{
		"alias bomb": {b.String(), "too large once aliases are expanded"},
		"a list":     {"- a\n- b\n", "the file must be a mapping of sections"},
		"a scalar":   {"hello", "the file must be a mapping of sections"},
		"bad yaml":   {"unit: [", "invalid YAML"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := LoadBytes([]byte(tt.doc), t.TempDir(), LoadOptions{IgnoreEnv: true})
			var verr *ValidationErrors
			if !errors.As(err, &verr) || len(verr.Problems) != 1 || !strings.Contains(verr.Problems[0].Message, tt.want) {
				t.Errorf("got %v, want one problem containing %q", err, tt.want)
			}
		})
	}
}

func TestSuggest(t *testing.T) {
	known := []string{"base_url", "client_id", "client_secret", "timeout", "endpoints", "ca_file"}
	tests := map[string]string{
		"clientid": "client_id", "ClientID": "client_id", "base-url": "base_url", "baseurl": "base_url",
		"timout": "timeout", "endpoint": "endpoints", "client_secrte": "client_secret",
		"profile": "", "x": "", "cafile": "ca_file",
	}
	for in, want := range tests {
		if got := suggest(in, known); got != want {
			t.Errorf("suggest(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestParseDuration(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"30s", 30 * time.Second, true}, {"1h30m", 90 * time.Minute, true}, {"90d", 90 * 24 * time.Hour, true},
		{"0", 0, true}, {" 5m ", 5 * time.Minute, true},
		{"30", 0, false}, {"2 phút", 0, false}, {"1.5d", 0, false}, {"-3d", 0, false}, {"d", 0, false}, {"", 0, false},
	}
	for _, tt := range tests {
		got, err := parseDuration(tt.in)
		if (err == nil) != tt.ok || (tt.ok && got != tt.want) {
			t.Errorf("parseDuration(%q) = %v, %v; want %v ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

func readTestdata(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// FuzzLoadBytes feeds arbitrary documents to the loader: it must never
// panic, and every failure must be a *ValidationErrors with problems.
func FuzzLoadBytes(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join("testdata", "bad", "*.yaml"))
	seeds = append(seeds, filepath.Join("testdata", "good.yaml"))
	for _, s := range seeds {
		if b, err := os.ReadFile(s); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte("a: &x [*x]"))
	f.Add([]byte("lgsp: {endpoints: [1, 2]}\nsource: {type: fake, streams: 3}"))
	f.Add([]byte("<<: {unit: {code: 1}}"))
	f.Add([]byte("sources: {a: 3, B: {type: [1]}, c: {type: fake, streams: {x: {}}}, d: ~}"))
	dir, _ := filepath.Abs("testdata")
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := LoadBytes(data, dir, LoadOptions{IgnoreEnv: true})
		if err == nil {
			if cfg == nil {
				t.Fatal("nil config without error")
			}
			_ = cfg.Redacted()
			return
		}
		var verr *ValidationErrors
		if !errors.As(err, &verr) || len(verr.Problems) == 0 {
			t.Fatalf("error is %T %v, want *ValidationErrors with problems", err, err)
		}
	})
}
