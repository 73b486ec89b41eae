package hardening_test

import (
	"context"
	"crypto/x509"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	_ "github.com/hcmc-lgsp/lgsp-connector/connectors/iso-dientu" // registers the iso_dientu source
	"github.com/hcmc-lgsp/lgsp-connector/internal/app"
	"github.com/hcmc-lgsp/lgsp-connector/internal/config"
	"github.com/hcmc-lgsp/lgsp-connector/internal/sandbox"
	"github.com/hcmc-lgsp/lgsp-connector/signing"
)

// longEnv turns on the long versions of the tests in this package.
const longEnv = "LGSP_HARDENING_LONG"

func long() bool { return os.Getenv(longEnv) == "1" }

// sandboxClientID and the secret are what the demo configuration and the
// sandbox agree on.
const sandboxClientID = "lgsp-connector-demo"

// signingFiles is a fresh self-signed signing certificate and its key as
// PEM files in dir.
type signingFiles struct {
	certFile, keyFile string
	cert              *x509.Certificate
	verifier          *signing.Verifier
}

func newSigningFiles(t *testing.T, dir string) signingFiles {
	t.Helper()
	key, cert, err := signing.GenerateSelfSigned("hardening unit", 24*time.Hour, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	keyPEM, err := signing.EncodeKeyPEM(key)
	if err != nil {
		t.Fatal(err)
	}
	sf := signingFiles{certFile: filepath.Join(dir, "cert.pem"), keyFile: filepath.Join(dir, "key.pem"), cert: cert}
	if err := os.WriteFile(sf.certFile, signing.EncodeCertPEM(cert), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(sf.keyFile, keyPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	if sf.verifier, err = signing.NewVerifier([]*x509.Certificate{cert}); err != nil {
		t.Fatal(err)
	}
	return sf
}

// startSandbox serves a sandbox on a loopback port until the test ends.
// wrap, when set, sits in front of the sandbox's handler (to watch or
// alter requests as a network would).
func startSandbox(t *testing.T, o sandbox.Options, wrap func(http.Handler) http.Handler) (*sandbox.Server, string) {
	t.Helper()
	sb, err := sandbox.New(o)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	h := sb.Handler()
	if wrap != nil {
		h = wrap(h)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return sb, "http://" + ln.Addr().String()
}

// build loads yaml as an installation would and assembles the connector;
// it is closed when the test ends.
func build(t *testing.T, yaml []byte, dir string, o app.Options) *app.App {
	t.Helper()
	cfg, err := config.LoadBytes(yaml, dir, config.LoadOptions{IgnoreEnv: true})
	if err != nil {
		t.Fatalf("configuration: %v", err)
	}
	a, err := app.Build(context.Background(), cfg, o)
	if err != nil {
		t.Fatalf("build: %v", err)
	}
	t.Cleanup(func() { _ = a.Close(context.Background()) })
	return a
}

// drain polls and delivers until everything is settled, within limit.
func drain(t *testing.T, a *app.App, limit time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	if err := a.Pipeline.Drain(ctx, 20*time.Millisecond); err != nil {
		t.Fatalf("drain: %v (totals %+v)", err, a.Pipeline.Totals())
	}
}
