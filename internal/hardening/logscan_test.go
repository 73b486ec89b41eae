package hardening_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/x509"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	pkcs12 "software.sslmate.com/src/go-pkcs12"

	"github.com/hcmc-lgsp/lgsp-connector/internal/app"
	"github.com/hcmc-lgsp/lgsp-connector/internal/config"
	"github.com/hcmc-lgsp/lgsp-connector/internal/demo"
	"github.com/hcmc-lgsp/lgsp-connector/internal/logging"
	"github.com/hcmc-lgsp/lgsp-connector/internal/sampledata"
	"github.com/hcmc-lgsp/lgsp-connector/internal/sandbox"
	"github.com/hcmc-lgsp/lgsp-connector/internal/testdb"
	"github.com/hcmc-lgsp/lgsp-connector/signing"
)

// logSinks receive the same records four ways: plain slog JSON and text
// handlers (nothing masks for the code under test: it must not pass
// secrets or personal data at all) and the connector's own masking
// loggers as `run` builds them (what ships), all at DEBUG.
type logSinks struct {
	names []string
	bufs  []*lockedBuffer
}

func newLogSinks() (*logSinks, *slog.Logger) {
	s := &logSinks{names: []string{"slog JSON", "slog text", "connector JSON (masking)", "connector text (masking)"}}
	for range s.names {
		s.bufs = append(s.bufs, &lockedBuffer{})
	}
	debug := &slog.HandlerOptions{Level: slog.LevelDebug}
	h := slog.NewMultiHandler(
		slog.NewJSONHandler(s.bufs[0], debug),
		slog.NewTextHandler(s.bufs[1], debug),
		logging.New(s.bufs[2], logging.Options{Level: slog.LevelDebug, Format: logging.FormatJSON, Mask: true}).Handler(),
		logging.New(s.bufs[3], logging.Options{Level: slog.LevelDebug, Format: logging.FormatText, Mask: true}).Handler(),
	)
	return s, slog.New(h)
}

// needle is something that must never appear in a log.
type needle struct{ what, value string }

// scan reports every log line, in every sink, that contains a needle.
// Needles are indexed by their first bytes so that thousands of them
// cost one pass over the log, not one pass each.
func (s *logSinks) scan(t *testing.T, needles []needle) (lines int) {
	t.Helper()
	const prefix = 4
	index := map[string][]needle{}
	for _, n := range needles {
		if len(n.value) < prefix {
			t.Fatalf("needle %s %q is too short to look for", n.what, n.value)
		}
		index[n.value[:prefix]] = append(index[n.value[:prefix]], n)
	}
	for i, b := range s.bufs {
		sc := bufio.NewScanner(strings.NewReader(b.String()))
		sc.Buffer(make([]byte, 1<<20), 16<<20)
		reported := 0
		for sc.Scan() {
			line := sc.Text()
			lines++
			for at := 0; at+prefix <= len(line); at++ {
				for _, n := range index[line[at:at+prefix]] {
					if strings.HasPrefix(line[at:], n.value) && reported < 20 {
						reported++
						t.Errorf("%s log shows %s %q:\n%s", s.names[i], n.what, n.value, line)
					}
				}
			}
		}
	}
	return lines
}

// count returns how many sinks contain value.
func (s *logSinks) count(value string) int {
	n := 0
	for _, b := range s.bufs {
		if strings.Contains(b.String(), value) {
			n++
		}
	}
	return n
}

// TestLogsCarryNoSecretsOrPersonalData runs the whole connector against
// the sandbox with faults (5xx, 429, lost acknowledgements, a revoked
// token answered 401, permanent rejections), first with a wrong client
// secret and then with the right one, signing with a passphrase-protected
// PKCS#12 key, on sample data with bad rows, and reads every log line it
// and the sandbox wrote at DEBUG: no secret and no applicant's (or
// officer's) personal data may appear.
func TestLogsCarryNoSecretsOrPersonalData(t *testing.T) {
	dossiers := 200
	if long() {
		dossiers = 2000
	}
	ctx := context.Background()
	dir := t.TempDir()
	legacyPath := filepath.Join(dir, "legacy.db")
	legacy, err := sql.Open("sqlite", "file:"+legacyPath)
	if err != nil {
		t.Fatal(err)
	}
	defer legacy.Close()
	if err := sampledata.CreateSchema(ctx, legacy, sampledata.SQLite); err != nil {
		t.Fatal(err)
	}
	gen, err := sampledata.Generate(ctx, legacy, sampledata.SQLite, sampledata.Options{Seed: 9, Dossiers: dossiers, BadRows: 3 * len(sampledata.BadKinds), MaxStepsPerDossier: 2})
	if err != nil {
		t.Fatal(err)
	}

	const (
		rightSecret = "client-secret-7f3a9c"
		wrongSecret = "wrong-secret-b81d42"
		passphrase  = "p12-passphrase-c05e17"
	)
	p12File, verifier := writePKCS12(t, dir, passphrase)

	// Dossiers the receiver refuses for good (as if their signature were
	// bad): each of their packets ends dead.
	refused := refusedCodes(t, legacy, 3)
	verify := func(doc []byte) error {
		for _, code := range refused {
			if bytes.Contains(doc, []byte("<MaHoSo>"+code+"</MaHoSo>")) {
				return errors.New("certificate of this sender is revoked for this dossier")
			}
		}
		return verifier.VerifyBytes(doc)
	}
	sinks, logger := newLogSinks()
	tokens := &tokenWatch{revoke: 3}
	sb, url := startSandbox(t, sandbox.Options{
		ClientID: sandboxClientID, ClientSecret: rightSecret, Verify: verify, Seed: 17,
		ErrorRate: 0.1, ThrottleRate: 0.05, DropAckRate: 0.05, RetryAfter: time.Second,
		Logger: logger.With("component", "sandbox"),
	}, tokens.wrap)

	yaml, err := demo.RenderConfig(demo.ConfigParams{
		Driver: "sqlite", LegacyDSN: "file:" + legacyPath + "?mode=ro", LGSPURL: url, ClientSecret: rightSecret,
		CertFile: "unused", KeyFile: "unused", StorePath: filepath.Join(dir, "outbox.db"),
	})
	if err != nil {
		t.Fatal(err)
	}
	yaml = withPKCS12(t, yaml, p12File, passphrase)
	wrongYAML := bytes.Replace(yaml, []byte(rightSecret), []byte(wrongSecret), 1)

	// First with the wrong secret: every token request is refused. The
	// round is stopped after a few refusals (it would otherwise ask for a
	// token once per packet; see docs/RELIABILITY.md, Security).
	a := build(t, wrongYAML, dir, app.Options{Logger: logger})
	if _, err := a.Pipeline.Poll(ctx); err != nil {
		t.Fatal(err)
	}
	wrongCtx, stop := context.WithCancel(ctx)
	tokens.onTokenRequest(5, stop)
	if _, err := a.Pipeline.DeliverDue(wrongCtx); err != nil && !errors.Is(err, context.Canceled) {
		t.Fatal(err)
	}
	stop()
	if st := sb.Stats(); st.TokenFailures == 0 || st.Accepted != 0 {
		t.Fatalf("with the wrong secret: %+v, want refused tokens and nothing accepted", st)
	}
	if err := a.Close(ctx); err != nil {
		t.Fatal(err)
	}
	// Then fixed, as an operator would after reading the log.
	a = build(t, yaml, dir, app.Options{Logger: logger})
	drain(t, a, 3*time.Minute)

	st := sb.Stats()
	c, err := a.Store.Counts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("sandbox %+v; outbox %+v", st, c)
	if st.Unauthorized < tokens.revoke || st.Injected5xx == 0 || st.Injected429 == 0 || st.InjectedDrop == 0 || st.InvalidSignature == 0 {
		t.Errorf("not every fault happened: %+v", st)
	}
	if c.Dead == 0 || c.Quarantined != gen.BadDossiers {
		t.Errorf("outbox %+v: want dead packets (refused dossiers) and %d quarantined", c, gen.BadDossiers)
	}
	if c.Delivered+c.Dead != gen.Dossiers+gen.Steps {
		t.Errorf("outbox %+v: want %d delivered or dead", c, gen.Dossiers+gen.Steps)
	}

	needles := []needle{
		{"the client secret", rightSecret},
		{"the wrong client secret", wrongSecret},
		{"the PKCS#12 passphrase", passphrase},
	}
	seen := tokens.seen()
	if len(seen) < 2 {
		t.Errorf("saw %d access tokens on the wire, want at least 2 (one fetched again after the 401)", len(seen))
	}
	for _, tok := range seen {
		needles = append(needles, needle{"an access token", tok})
	}
	personal := legacyPersonalData(t, legacy)
	if len(personal) < 4*dossiers {
		t.Fatalf("read %d personal values from the sample database, want at least %d", len(personal), 4*dossiers)
	}
	needles = append(needles, personal...)
	lines := sinks.scan(t, needles)
	// A value the connector does log (a refused dossier's code) must be
	// found in every sink: the scan sees what is there.
	if n := sinks.count(refused[0]); n < len(sinks.bufs) {
		t.Errorf("dossier code %s found in %d sinks, want all %d: the scan or the logs are broken", refused[0], n, len(sinks.bufs))
	}
	if lines < 100 {
		t.Errorf("only %d log lines: the connector did not log what this test reads", lines)
	}
	t.Logf("%d log lines scanned for %d secrets and personal values", lines, len(needles))
}

// tokenWatch sits between the connector and the sandbox like a network:
// it notes every bearer token sent, and replaces the first few with a
// revoked one, as LGSP does after a key rotation, so the sandbox answers
// 401 and the connector must fetch a new token.
type tokenWatch struct {
	revoke  int
	revoked atomic.Int64
	mu      sync.Mutex
	tokens  map[string]bool

	tokenRequests atomic.Int64
	limit         int64
	onLimit       func()
}

// onTokenRequest calls fn once n more token requests have arrived.
func (w *tokenWatch) onTokenRequest(n int64, fn func()) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.limit, w.onLimit = w.tokenRequests.Load()+n, fn
}

func (w *tokenWatch) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if r.URL.Path == sandbox.TokenPath {
			n := w.tokenRequests.Add(1)
			w.mu.Lock()
			if w.onLimit != nil && n >= w.limit {
				w.onLimit()
				w.onLimit = nil
			}
			w.mu.Unlock()
		}
		if tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
			w.mu.Lock()
			if w.tokens == nil {
				w.tokens = map[string]bool{}
			}
			w.tokens[tok] = true
			w.mu.Unlock()
			if w.revoked.Add(1) <= int64(w.revoke) {
				r.Header.Set("Authorization", "Bearer revoked-token-0000")
			}
		}
		next.ServeHTTP(rw, r)
	})
}

func (w *tokenWatch) seen() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []string
	for tok := range w.tokens {
		out = append(out, tok)
	}
	return out
}

// writePKCS12 writes a fresh signing key and certificate as a .p12
// protected by passphrase, and returns a verifier trusting it.
func writePKCS12(t *testing.T, dir, passphrase string) (string, *signing.Verifier) {
	t.Helper()
	key, cert, err := signing.GenerateSelfSigned("hardening unit (PKCS#12)", 24*time.Hour, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	p12, err := pkcs12.Modern.Encode(key, cert, nil, passphrase)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "signing.p12")
	if err := os.WriteFile(path, p12, 0o600); err != nil {
		t.Fatal(err)
	}
	v, err := signing.NewVerifier([]*x509.Certificate{cert})
	if err != nil {
		t.Fatal(err)
	}
	return path, v
}

// withPKCS12 swaps the demo configuration's PEM key pair for a PKCS#12
// file and its passphrase.
func withPKCS12(t *testing.T, yaml []byte, p12File, passphrase string) []byte {
	t.Helper()
	s := string(yaml)
	start := strings.Index(s, "\nsigning:\n")
	end := strings.Index(s, "\nstore:\n")
	if start < 0 || end < start {
		t.Fatal("the demo configuration has no signing section before store")
	}
	return []byte(s[:start] + "\nsigning:\n  pkcs12_file: " + strconv.Quote(p12File) + "\n  passphrase: " + strconv.Quote(passphrase) + "\n" + s[end:])
}

// refusedCodes picks n dossier codes of good sample rows.
func refusedCodes(t *testing.T, db *sql.DB, n int) []string {
	t.Helper()
	var out []string
	for id := 5; len(out) < n; id++ {
		var code sql.NullString
		if err := db.QueryRow(`SELECT so_ho_so FROM hs_hoso WHERE id = ?`, id).Scan(&code); err != nil {
			t.Fatal(err)
		}
		if code.Valid {
			out = append(out, code.String)
		}
	}
	return out
}

// legacyPersonalData reads back every applicant's name, ID number, phone
// and email and every officer's name from the sample database, with the
// forms a log could show them in.
func legacyPersonalData(t *testing.T, db *sql.DB) []needle {
	t.Helper()
	var out []needle
	rows, err := db.Query(`SELECT ho_ten_nguoi_nop, so_giay_to, dien_thoai, email FROM hs_hoso`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var name, idNo, phone, email []byte
		if err := rows.Scan(&name, &idNo, &phone, &email); err != nil {
			t.Fatal(err)
		}
		out = append(out, needle{"an applicant's name", string(name)}, needle{"an ID number", string(idNo)},
			needle{"a phone number", string(phone)}, needle{"an email address", string(email)})
		if !utf8.Valid(name) {
			// A name in a legacy encoding: as raw bytes, hex or Go-quoted.
			quoted := strconv.Quote(string(name))
			out = append(out, needle{"a legacy-encoded name (hex)", hex.EncodeToString(name)},
				needle{"a legacy-encoded name (quoted)", quoted[1 : len(quoted)-1]})
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	officers, err := db.Query(`SELECT DISTINCT can_bo FROM hs_qua_trinh`)
	if err != nil {
		t.Fatal(err)
	}
	defer officers.Close()
	for officers.Next() {
		var name string
		if err := officers.Scan(&name); err != nil {
			t.Fatal(err)
		}
		out = append(out, needle{"an officer's name", name})
	}
	return out
}

// Secrets of the configuration used by the config-printing tests.
const (
	showSecret     = "client-secret-44d1e0"
	showPassphrase = "p12-passphrase-9a0b3c"
	showDBPassword = "Db-Pa55word-e7c2"
)

// secretConfig loads a configuration holding a client secret, a PKCS#12
// passphrase and a legacy database password.
func secretConfig(t *testing.T) *config.Config {
	t.Helper()
	dir := t.TempDir()
	p12File, _ := writePKCS12(t, dir, showPassphrase)
	yaml, err := demo.RenderConfig(demo.ConfigParams{
		Driver: "mysql", LegacyDSN: "motcua:" + showDBPassword + "@tcp(10.0.0.5:3306)/motcua", LGSPURL: "https://lgsp.example.gov.vn",
		ClientSecret: showSecret, CertFile: "unused", KeyFile: "unused", StorePath: filepath.Join(dir, "outbox.db"),
	})
	if err != nil {
		t.Fatal(err)
	}
	yaml = withPKCS12(t, yaml, p12File, showPassphrase)
	cfg, err := config.LoadBytes(yaml, dir, config.LoadOptions{IgnoreEnv: true})
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

var showSecrets = []needle{{"the client secret", showSecret}, {"the passphrase", showPassphrase}, {"the database password", showDBPassword}}

func checkRenderings(t *testing.T, renderings map[string]string, secrets []needle) {
	t.Helper()
	for how, text := range renderings {
		for _, s := range secrets {
			if strings.Contains(text, s.value) {
				t.Errorf("%s shows %s:\n%s", how, s.what, text)
			}
		}
	}
}

// TestConfigShowHidesSecrets: `lgsp-connector config show` prints
// Config.Redacted(); neither it nor the usual ways a configuration ends up
// printed (fmt verbs, a text log attribute) show the client secret, the
// PKCS#12 passphrase or the legacy database password. (JSON renderings:
// see TestKnownBugDSNInJSON.)
func TestConfigShowHidesSecrets(t *testing.T) {
	cfg := secretConfig(t)
	var logged bytes.Buffer
	slog.New(slog.NewTextHandler(&logged, nil)).Info("configuration", "config", cfg, "lgsp", cfg.LGSP, "source", cfg.Source.Settings)
	shown := cfg.Redacted()
	renderings := map[string]string{
		"config show (Redacted)": shown,
		"%v":                     fmt.Sprintf("%v", cfg),
		"%+v":                    fmt.Sprintf("%+v", cfg),
		"%#v":                    fmt.Sprintf("%#v", cfg),
		"%+v of the source":      fmt.Sprintf("%+v", cfg.Source.Settings),
		"slog text":              logged.String(),
	}
	checkRenderings(t, renderings, showSecrets)
	// It still shows what the operator needs, with the secrets marked.
	for _, want := range []string{"client_secret", "passphrase", "10.0.0.5:3306", "motcua", "[REDACTED]"} {
		if !strings.Contains(shown, want) {
			t.Errorf("config show lacks %q:\n%s", want, shown)
		}
	}
}

// TestBuildErrorHidesDSNPassword: a legacy database that refuses the
// connector's password gives an error (and log lines) naming the server,
// not the password.
func TestBuildErrorHidesDSNPassword(t *testing.T) {
	serverDSN := os.Getenv(testdb.MariaDBEnv)
	addr := "127.0.0.1:3306"
	if serverDSN != "" {
		if i, j := strings.Index(serverDSN, "tcp("), strings.Index(serverDSN, ")"); i >= 0 && j > i {
			addr = serverDSN[i+4 : j]
		}
	}
	const password = "Wr0ng-Pa55-1d9f"
	dir := t.TempDir()
	sf := newSigningFiles(t, dir)
	yaml, err := demo.RenderConfig(demo.ConfigParams{
		Driver: "mysql", LegacyDSN: "nobody_here:" + password + "@tcp(" + addr + ")/motcua", LGSPURL: "http://127.0.0.1:9",
		ClientSecret: "s", CertFile: sf.certFile, KeyFile: sf.keyFile, StorePath: filepath.Join(dir, "outbox.db"),
	})
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := config.LoadBytes(yaml, dir, config.LoadOptions{IgnoreEnv: true})
	if err != nil {
		t.Fatal(err)
	}
	sinks, logger := newLogSinks()
	a, err := app.Build(context.Background(), cfg, app.Options{Logger: logger})
	if err == nil {
		_ = a.Close(context.Background())
		t.Fatal("build connected to the legacy database with a wrong password")
	}
	t.Logf("build: %v", err)
	if strings.Contains(err.Error(), password) {
		t.Errorf("the build error shows the database password: %v", err)
	}
	if !strings.Contains(err.Error(), addr) {
		t.Errorf("the build error does not name the server %s: %v", addr, err)
	}
	sinks.scan(t, []needle{{"the database password", password}})
}

// TestInsecureSkipVerifyWarns: turning TLS verification off is never
// silent. Every Build with lgsp.insecure_skip_verify: true logs a WARN
// line naming the setting; without it there is none.
func TestInsecureSkipVerifyWarns(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	legacyPath := filepath.Join(dir, "legacy.db")
	legacy, err := sql.Open("sqlite", "file:"+legacyPath)
	if err != nil {
		t.Fatal(err)
	}
	defer legacy.Close()
	if err := sampledata.CreateSchema(ctx, legacy, sampledata.SQLite); err != nil {
		t.Fatal(err)
	}
	sf := newSigningFiles(t, dir)
	base, err := demo.RenderConfig(demo.ConfigParams{
		Driver: "sqlite", LegacyDSN: "file:" + legacyPath + "?mode=ro", LGSPURL: "https://lgsp.example.gov.vn",
		ClientSecret: "s", CertFile: sf.certFile, KeyFile: sf.keyFile, StorePath: filepath.Join(dir, "outbox.db"),
	})
	if err != nil {
		t.Fatal(err)
	}
	insecure := bytes.Replace(base, []byte("\nlgsp:\n"), []byte("\nlgsp:\n  insecure_skip_verify: true\n"), 1)
	for _, tc := range []struct {
		name  string
		yaml  []byte
		warns int
	}{
		{"verification on", base, 0},
		{"verification off", insecure, 1},
	} {
		for build := 1; build <= 3; build++ {
			var out lockedBuffer
			cfg, err := config.LoadBytes(tc.yaml, dir, config.LoadOptions{IgnoreEnv: true})
			if err != nil {
				t.Fatal(err)
			}
			logger := logging.New(&out, logging.Options{Level: slog.LevelInfo, Format: logging.FormatJSON, Mask: true})
			a, err := app.Build(ctx, cfg, app.Options{Logger: logger})
			if err != nil {
				t.Fatal(err)
			}
			if err := a.Close(ctx); err != nil {
				t.Fatal(err)
			}
			warns := 0
			for _, line := range strings.Split(out.String(), "\n") {
				if strings.Contains(line, `"level":"WARN"`) && strings.Contains(line, "insecure_skip_verify") {
					warns++
				}
			}
			if warns != tc.warns {
				t.Errorf("%s, build %d: %d WARN lines about insecure_skip_verify, want %d; log:\n%s", tc.name, build, warns, tc.warns, out.String())
			}
		}
	}
}
