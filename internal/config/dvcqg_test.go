package config

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

const dvcqgSection = `
dvcqg:
  enabled: true
  integration_endpoint: /ngsp/dvcqg/mapi/g
  share_endpoint: https://lgsp.example.vn/ngsp/dvcqg/mapi/share
  username: phuong-sai-gon
  dstcode: "VN:GOV:000.00.00.G22:vpcpdvcprovider"
  session_error_messages: ["hết phiên"]
  progress_wait: 1m
`

// A complete section loads over the defaults; the password comes from
// the environment and shows in no rendering; madonvi defaults to the unit.
func TestDVCQGSection(t *testing.T) {
	good, err := os.ReadFile(filepath.Join("testdata", "good.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	const password = "portal-password-from-env"
	t.Setenv("LGSP_DVCQG_PASSWORD", password)
	cfg, err := LoadBytes(append(good, dvcqgSection...), absTestdata(t), LoadOptions{SkipFileChecks: true})
	if err != nil {
		t.Fatal(err)
	}
	d := cfg.DVCQG
	want := DVCQG{
		Enabled: true, AuthEndpoint: "/mapi/login", IntegrationEndpoint: "/ngsp/dvcqg/mapi/g",
		ShareEndpoint: "https://lgsp.example.vn/ngsp/dvcqg/mapi/share", Username: "phuong-sai-gon", Password: password,
		MaDonVi: cfg.Unit.Code, DSTCode: "VN:GOV:000.00.00.G22:vpcpdvcprovider",
		SessionErrorCodes: []string{"-2"}, SessionErrorMessages: []string{"hết phiên"}, ProgressWait: time.Minute,
		ProgressPush: "0 0 18 * * *",
	}
	if fmt.Sprintf("%#v", d) != fmt.Sprintf("%#v", want) || d.Password.Reveal() != password {
		t.Errorf("dvcqg =\n %#v\nwant\n %#v", d, want)
	}
	j, _ := json.Marshal(cfg)
	for i, out := range []string{cfg.Redacted(), fmt.Sprintf("%+v", d), fmt.Sprintf("%#v", *cfg), string(j)} {
		if strings.Contains(out, password) {
			t.Errorf("rendering %d leaks the portal password", i)
		}
	}
	if !strings.Contains(cfg.Redacted(), "dvcqg:") {
		t.Errorf("config show lacks the dvcqg section:\n%s", cfg.Redacted())
	}
}

// Without the section the portal is off, nothing is required, and the
// defaults are the sandbox's adapter paths.
func TestDVCQGOffByDefault(t *testing.T) {
	cfg, err := Load(filepath.Join("testdata", "good.yaml"), LoadOptions{IgnoreEnv: true, SkipFileChecks: true})
	if err != nil {
		t.Fatal(err)
	}
	d := cfg.DVCQG
	if d.Enabled || d.AuthEndpoint != "/mapi/login" || d.IntegrationEndpoint != "/mapi/g" || d.ShareEndpoint != "/mapi/g" ||
		!slices.Equal(d.SessionErrorCodes, []string{"-2"}) || d.ProgressWait != 30*time.Second {
		t.Errorf("default dvcqg = %+v", d)
	}
}

// Every key can be set from the environment, the switch included.
func TestDVCQGFromEnvironment(t *testing.T) {
	t.Setenv("LGSP_DVCQG_ENABLED", "true")
	t.Setenv("LGSP_DVCQG_USERNAME", "env-user")
	t.Setenv("LGSP_DVCQG_PASSWORD", "env-password")
	t.Setenv("LGSP_DVCQG_MADONVI", "000.00.06.H29")
	cfg, err := Load(filepath.Join("testdata", "good.yaml"), LoadOptions{SkipFileChecks: true})
	if err != nil {
		t.Fatal(err)
	}
	if d := cfg.DVCQG; !d.Enabled || d.Username != "env-user" || d.Password.Reveal() != "env-password" || d.MaDonVi != "000.00.06.H29" {
		t.Errorf("dvcqg from the environment = %+v", d)
	}
}
