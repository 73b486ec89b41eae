package config

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const inboundSection = `
inbound:
  enabled: true
  listen: 0.0.0.0:8443
  tls_cert: certs/sign.crt
  tls_key: certs/sign.key
  client_ca: certs/ca.pem
  bearer_tokens: ["token-of-lgsp-0123456789"]
  allow_ips: [10.10.0.0/16, 192.0.2.7]
  public_base_url: https://lgsp.example.vn/phuong-sai-gon/inbound
  link_ttl: 7d
`

// A complete inbound section loads: paths are resolved against the
// file's directory, the link secret comes from the environment, and
// neither it nor the bearer tokens show in any rendering.
func TestInboundSection(t *testing.T) {
	good, err := os.ReadFile(filepath.Join("testdata", "good.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	const linkSecret = "link-secret-from-env-0123456789abcdef"
	t.Setenv("LGSP_INBOUND_LINK_SECRET", linkSecret)
	dir, _ := filepath.Abs("testdata")
	cfg, err := LoadBytes(append(good, inboundSection...), dir, LoadOptions{SkipFileChecks: true})
	if err != nil {
		t.Fatal(err)
	}
	in := cfg.Inbound
	if !in.Enabled || in.Listen != "0.0.0.0:8443" || in.LinkTTL != 7*24*time.Hour || in.Stream != "ho_so" ||
		in.TLSCert != filepath.Join(dir, "certs", "sign.crt") || in.ClientCA != filepath.Join(dir, "certs", "ca.pem") ||
		len(in.AllowIPs) != 2 || len(in.BearerTokens) != 1 || in.LinkSecret.Reveal() != linkSecret {
		t.Errorf("inbound = %+v", in)
	}
	j, _ := json.Marshal(cfg)
	for i, out := range []string{cfg.Redacted(), fmt.Sprintf("%+v", in), fmt.Sprintf("%#v", *cfg), string(j)} {
		for _, secret := range []string{linkSecret, "token-of-lgsp-0123456789"} {
			if strings.Contains(out, secret) {
				t.Errorf("rendering %d leaks %q", i, secret)
			}
		}
	}
}

// Without the section the API is off and nothing is required.
func TestInboundOffByDefault(t *testing.T) {
	cfg, err := Load(filepath.Join("testdata", "good.yaml"), LoadOptions{IgnoreEnv: true, SkipFileChecks: true})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Inbound.Enabled || cfg.Inbound.Stream != "ho_so" || cfg.Inbound.LinkTTL != 30*24*time.Hour {
		t.Errorf("default inbound = %+v", cfg.Inbound)
	}
}
