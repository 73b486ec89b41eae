package main

import (
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hcmc-lgsp/lgsp-connector/internal/demo"
)

// validParams is a configuration whose files exist, without a rig: config
// check and show do not connect to anything.
func validParams(t *testing.T, dir string) demo.ConfigParams {
	t.Helper()
	kp := newKeyPair(t, dir, "signing", 365*24*time.Hour, time.Now())
	return demo.ConfigParams{
		Driver: "sqlite", LegacyDSN: "file:" + filepath.ToSlash(filepath.Join(dir, "legacy.db")) + "?mode=ro",
		LGSPURL: "http://127.0.0.1:8089", ClientSecret: "cfg-test-secret", CertFile: kp.certFile, KeyFile: kp.keyFile,
		StorePath: filepath.Join(dir, "outbox.db"),
	}
}

var problemLineRE = regexp.MustCompile(`(?m)^  - ([a-z_.\[\]0-9]+): `)

// TestConfigCheck: a valid file passes; a broken one is reported with
// every problem at once, each under its key path, and exit code 2.
func TestConfigCheck(t *testing.T) {
	dir := t.TempDir()
	p := validParams(t, dir)
	good := writeConfig(t, dir, "good.yaml", p, "")
	if out := mustExecute(t, "config", "check", "--config", good).stdout; !strings.Contains(out, "configuration is valid") {
		t.Errorf("config check on a valid file printed %q", out)
	}

	p.KeyFile = filepath.Join(dir, "missing-key.pem")
	p.Workers = -3
	p.Lease = "soon"
	rendered, err := demo.RenderConfig(p)
	if err != nil {
		t.Fatal(err)
	}
	broken := string(rendered)
	for old, bad := range map[string]string{
		`code: "000.00.12.H29"`: `code: "12.H29"`,
		"timeout: 10s":          "timeout: 0s",
		`poll: "@every 5s"`:     `poll: "@every 5"`,
		"receiver:":             "recever:",
	} {
		if !strings.Contains(broken, old) {
			t.Fatalf("the demo configuration no longer contains %q; update the test", old)
		}
		broken = strings.Replace(broken, old, bad, 1)
	}
	path := filepath.Join(dir, "broken.yaml")
	writeFile(t, path, []byte(broken))

	res := execute(t.Context(), "config", "check", "--config", path)
	if res.code() != 2 {
		t.Fatalf("exit %d (%v), want 2\n%s", res.code(), res.err, res.stderr)
	}
	var got []string
	for _, m := range problemLineRE.FindAllStringSubmatch(res.stderr, -1) {
		got = append(got, m[1])
	}
	want := []string{"delivery.lease", "delivery.workers", "lgsp.recever", "lgsp.timeout", "schedule.poll", "signing.key_file", "unit.code"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("problems reported at %v, want exactly %v:\n%s", got, want, res.stderr)
	}
	if !strings.Contains(res.stderr, path) || !strings.Contains(res.stderr, "7 lỗi / 7 problem(s)") {
		t.Errorf("the report does not name the file and count the problems:\n%s", res.stderr)
	}
	if strings.Count(res.stderr, "invalid configuration") != 1 {
		t.Errorf("the report repeats its header:\n%s", res.stderr)
	}
	if res.stdout != "" {
		t.Errorf("config check printed to stdout on failure: %q", res.stdout)
	}
}

// TestConfigShowRedactsSecrets: config show prints the effective
// configuration but never the client secret or the database password,
// whether they come from the file or the environment.
func TestConfigShowRedactsSecrets(t *testing.T) {
	const (
		fileSecret = "FileClientSecret-7Hq"
		envSecret  = "EnvClientSecret-2Wp"
		dbPassword = "DbPassw0rd-K9x"
	)
	dir := t.TempDir()
	p := validParams(t, dir)
	p.Driver = "mysql"
	p.LegacyDSN = "lgsp_reader:" + dbPassword + "@tcp(127.0.0.1:3306)/motcua?charset=utf8mb4"
	p.ClientSecret = fileSecret
	cfg := writeConfig(t, dir, "lgsp.yaml", p, "")

	for _, env := range []string{"", envSecret} {
		t.Run("env="+env, func(t *testing.T) {
			if env != "" {
				t.Setenv("LGSP_LGSP_CLIENT_SECRET", env)
			}
			res := mustExecute(t, "config", "show", "--config", cfg)
			for _, secret := range []string{fileSecret, envSecret, dbPassword} {
				if strings.Contains(res.stdout+res.stderr, secret) {
					t.Errorf("config show printed the secret %q:\n%s", secret, res.stdout)
				}
			}
			for _, want := range []string{"000.00.12.H29", "client_secret: '[REDACTED]'", "lgsp_reader", "127.0.0.1:3306"} {
				if !strings.Contains(res.stdout, want) {
					t.Errorf("config show does not show %q:\n%s", want, res.stdout)
				}
			}
		})
	}
}
