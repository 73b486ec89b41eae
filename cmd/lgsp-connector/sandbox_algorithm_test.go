package main

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hcmc-lgsp/lgsp-connector/signing"
)

// TestSandboxCommandAllowAlgorithm: an EC signing certificate is trusted
// only together with --allow-algorithm naming an ECDSA algorithm (RSA
// stays the default), and an unknown name is refused. Both refusals come
// before the sandbox listens.
func TestSandboxCommandAllowAlgorithm(t *testing.T) {
	dir := t.TempDir()
	_, cert, err := signing.GenerateSelfSignedFor(signing.ECDSASHA256, "cli test EC", 24*time.Hour, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	ecCert := filepath.Join(dir, "ec-cert.pem")
	writeFile(t, ecCert, signing.EncodeCertPEM(cert))
	for _, tc := range []struct {
		name  string
		extra []string
		want  string
	}{
		{"EC certificate, default algorithms", nil, "allow ecdsa-sha256"},
		{"EC certificate, only RSA allowed", []string{"--allow-algorithm", "rsa-sha256"}, "no allowed algorithm (rsa-sha256)"},
		{"unknown algorithm name", []string{"--allow-algorithm", "ecdsa-sha512"}, `--allow-algorithm: unknown signature algorithm "ecdsa-sha512"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"sandbox", "--listen", "127.0.0.1:0", "--client-secret", "x", "--trust", ecCert}, tc.extra...)
			res := execute(t.Context(), args...)
			if res.err == nil || !strings.Contains(res.err.Error(), tc.want) {
				t.Fatalf("err %v, want one containing %q", res.err, tc.want)
			}
			if strings.Contains(res.stderr, "LGSP sandbox listening") {
				t.Errorf("sandbox started listening despite the error:\n%s", res.stderr)
			}
		})
	}
}
