package main

import (
	"bytes"
	"context"
	"crypto/x509"
	"database/sql"
	"errors"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hcmc-lgsp/lgsp-connector/internal/demo"
	"github.com/hcmc-lgsp/lgsp-connector/internal/sampledata"
	"github.com/hcmc-lgsp/lgsp-connector/internal/sandbox"
	"github.com/hcmc-lgsp/lgsp-connector/signing"

	_ "modernc.org/sqlite" // the sample legacy database
)

// result is what one in-process run of the CLI produced.
type result struct {
	stdout, stderr string
	err            error
}

// code is the process exit code main would use for r.err.
func (r result) code() int {
	if r.err == nil {
		return 0
	}
	var ex exitError
	if errors.As(r.err, &ex) {
		return ex.code
	}
	return 1
}

// execute runs the CLI in-process, on a fresh command tree, as
// `lgsp-connector args…`.
func execute(ctx context.Context, args ...string) result {
	root := newRootCmd()
	var out, errOut syncBuffer
	root.SetArgs(args)
	root.SetOut(&out)
	root.SetErr(&errOut)
	err := root.ExecuteContext(ctx)
	return result{stdout: out.String(), stderr: errOut.String(), err: err}
}

// mustExecute runs the CLI and fails the test unless it succeeded.
func mustExecute(t *testing.T, args ...string) result {
	t.Helper()
	r := execute(context.Background(), args...)
	if r.err != nil {
		t.Fatalf("lgsp-connector %s: %v (exit %d)\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), r.err, r.code(), r.stdout, r.stderr)
	}
	return r
}

// syncBuffer is a bytes.Buffer a command may write while the test reads.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// waitFor polls cond until it returns true or the deadline passes; what
// describes the condition in the failure message.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// keyPair is a signing certificate and key written to PEM files.
type keyPair struct {
	cert               *x509.Certificate
	certFile, keyFile  string
	certPEM, keyPEMRaw []byte
}

// newKeyPair writes a self-signed certificate valid from now for validFor.
func newKeyPair(t *testing.T, dir, name string, validFor time.Duration, now time.Time) keyPair {
	t.Helper()
	key, cert, err := signing.GenerateSelfSigned("cli test "+name, validFor, now)
	if err != nil {
		t.Fatal(err)
	}
	keyPEM, err := signing.EncodeKeyPEM(key)
	if err != nil {
		t.Fatal(err)
	}
	kp := keyPair{cert: cert, certPEM: signing.EncodeCertPEM(cert), keyPEMRaw: keyPEM,
		certFile: filepath.Join(dir, name+"-cert.pem"), keyFile: filepath.Join(dir, name+"-key.pem")}
	writeFile(t, kp.certFile, kp.certPEM)
	writeFile(t, kp.keyFile, kp.keyPEMRaw)
	return kp
}

func writeFile(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

const (
	rigClientSecret = "rig-secret-Zq81"
	rigClientID     = "lgsp-connector-demo" // the demo configuration's client_id
)

// rigOptions shape a rig.
type rigOptions struct {
	dossiers, badRows, maxSteps int
	// verify wraps the sandbox's signature check (trusting the rig's
	// certificate); nil keeps it as it is.
	verify  func(trusted func([]byte) error) func([]byte) error
	latency time.Duration
}

// rig is a sample legacy database (SQLite), a signing key pair and an
// in-process LGSP sandbox that trusts it: an installation to point the
// CLI at.
type rig struct {
	dir       string
	legacyDSN string
	lgspURL   string
	keys      keyPair
	sb        *sandbox.Server
	gen       sampledata.Stats
}

func newRig(t *testing.T, o rigOptions) *rig {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	legacy := filepath.Join(dir, "legacy.db")
	db, err := sql.Open("sqlite", "file:"+filepath.ToSlash(legacy))
	if err != nil {
		t.Fatal(err)
	}
	if err := sampledata.CreateSchema(ctx, db, sampledata.SQLite); err != nil {
		t.Fatal(err)
	}
	gen, err := sampledata.Generate(ctx, db, sampledata.SQLite, sampledata.Options{Seed: 11, Dossiers: o.dossiers, BadRows: o.badRows, MaxStepsPerDossier: o.maxSteps})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	keys := newKeyPair(t, dir, "signing", 365*24*time.Hour, time.Now())
	v, err := signing.NewVerifier([]*x509.Certificate{keys.cert})
	if err != nil {
		t.Fatal(err)
	}
	verify := v.VerifyBytes
	if o.verify != nil {
		verify = o.verify(verify)
	}
	sb, err := sandbox.New(sandbox.Options{ClientID: rigClientID, ClientSecret: rigClientSecret, Verify: verify, Latency: o.latency, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: sb.Handler(), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return &rig{dir: dir, legacyDSN: "file:" + filepath.ToSlash(legacy) + "?mode=ro", lgspURL: "http://" + ln.Addr().String(),
		keys: keys, sb: sb, gen: gen}
}

// params are the demo configuration's parameters for this rig.
func (r *rig) params() demo.ConfigParams {
	return demo.ConfigParams{
		Driver: "sqlite", LegacyDSN: r.legacyDSN, LGSPURL: r.lgspURL, ClientSecret: rigClientSecret,
		CertFile: r.keys.certFile, KeyFile: r.keys.keyFile, StorePath: filepath.Join(r.dir, "outbox.db"),
	}
}

// writeConfig renders p into dir/name, with extra YAML appended, and
// returns the file's path.
func writeConfig(t *testing.T, dir, name string, p demo.ConfigParams, extra string) string {
	t.Helper()
	yaml, err := demo.RenderConfig(p)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, name)
	writeFile(t, path, append(yaml, "\n"+extra...))
	return path
}
