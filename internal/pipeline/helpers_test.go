package pipeline_test

import (
	"bytes"
	"context"
	"crypto/rsa"
	"crypto/x509"
	"database/sql"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/hcmc-lgsp/lgsp-connector/connectors"
	_ "github.com/hcmc-lgsp/lgsp-connector/connectors/iso-dientu" // registers iso_dientu
	"github.com/hcmc-lgsp/lgsp-connector/internal/app"
	"github.com/hcmc-lgsp/lgsp-connector/internal/config"
	"github.com/hcmc-lgsp/lgsp-connector/internal/demo"
	"github.com/hcmc-lgsp/lgsp-connector/internal/lgsp"
	"github.com/hcmc-lgsp/lgsp-connector/internal/outbox"
	"github.com/hcmc-lgsp/lgsp-connector/internal/pipeline"
	"github.com/hcmc-lgsp/lgsp-connector/internal/sampledata"
	"github.com/hcmc-lgsp/lgsp-connector/internal/sandbox"
	"github.com/hcmc-lgsp/lgsp-connector/mapping"
	"github.com/hcmc-lgsp/lgsp-connector/packets"
	"github.com/hcmc-lgsp/lgsp-connector/signing"

	_ "modernc.org/sqlite" // the sample legacy database
)

const (
	clientID     = "lgsp-connector-demo" // what demo.yaml configures
	clientSecret = "pipeline-test-secret"
)

// epoch is the fake clock's start: after every row sampledata writes
// (September–November 2026), so the source's lag window hides none.
var epoch = time.Date(2027, 3, 1, 8, 0, 0, 0, time.UTC)

// fakeClock is the clock of the pipeline, the outbox and the source. It
// only moves when a test advances it.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *fakeClock { return &fakeClock{t: epoch} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// rigOptions say what legacy data and which sandbox a rig has.
type rigOptions struct {
	dossiers, bad, maxSteps int
	// faults configures the sandbox's fault injection (only its fault
	// fields are used).
	faults sandbox.Options
	// wrap, when set, wraps the sandbox's handler (to observe requests).
	wrap func(http.Handler) http.Handler
}

// rig is a sample legacy SQLite database, a signing key, the demo
// configuration over both and a sandbox that trusts the key.
type rig struct {
	dir        string
	legacyPath string
	legacy     *sql.DB // writable handle for tests that change rows
	gen        sampledata.Stats
	key        *rsa.PrivateKey
	cert       *x509.Certificate
	certFile   string
	signer     *signing.Signer
	cfg        *config.Config
	sb         *sandbox.Server
	srv        *httptest.Server
	url        string
	clock      *fakeClock
}

func newRig(t testing.TB, o rigOptions) *rig {
	t.Helper()
	r := &rig{dir: t.TempDir(), clock: newClock()}
	r.legacyPath = filepath.Join(r.dir, "legacy.db")
	r.legacy, r.gen = sampleDB(t, r.legacyPath, sampledata.Options{Seed: 11, Dossiers: o.dossiers, BadRows: o.bad, MaxStepsPerDossier: o.maxSteps})

	var err error
	// Real time: the sandbox and xmlsec1 check the validity dates.
	r.key, r.cert, err = signing.GenerateSelfSigned("pipeline test unit", 24*time.Hour, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if r.signer, err = signing.NewSigner(r.key, r.cert, signing.Algorithm(0)); err != nil {
		t.Fatal(err)
	}
	r.certFile = filepath.Join(r.dir, "cert.pem")
	keyFile := filepath.Join(r.dir, "key.pem")
	keyPEM, err := signing.EncodeKeyPEM(r.key)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(r.certFile, signing.EncodeCertPEM(r.cert), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, keyPEM, 0o600); err != nil {
		t.Fatal(err)
	}

	verifier, err := signing.NewVerifier([]*x509.Certificate{r.cert})
	if err != nil {
		t.Fatal(err)
	}
	so := o.faults
	so.ClientID, so.ClientSecret, so.Verify, so.Seed = clientID, clientSecret, verifier.VerifyBytes, 5
	if r.sb, err = sandbox.New(so); err != nil {
		t.Fatal(err)
	}
	h := r.sb.Handler()
	if o.wrap != nil {
		h = o.wrap(h)
	}
	r.srv = httptest.NewServer(h)
	t.Cleanup(r.srv.Close)
	r.url = r.srv.URL

	yaml, err := demo.RenderConfig(demo.ConfigParams{
		Driver: "sqlite", LegacyDSN: "file:" + filepath.ToSlash(r.legacyPath) + "?mode=ro", LGSPURL: r.url,
		ClientSecret: clientSecret, CertFile: r.certFile, KeyFile: keyFile, StorePath: filepath.Join(r.dir, "unused.db"),
	})
	if err != nil {
		t.Fatal(err)
	}
	if r.cfg, err = config.LoadBytes(yaml, r.dir, config.LoadOptions{IgnoreEnv: true}); err != nil {
		t.Fatal(err)
	}
	return r
}

// sampleDB creates a sample legacy database at path.
func sampleDB(t testing.TB, path string, o sampledata.Options) (*sql.DB, sampledata.Stats) {
	t.Helper()
	ctx := context.Background()
	db, err := sql.Open("sqlite", "file:"+filepath.ToSlash(path)+"?_pragma=journal_mode(WAL)&_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := sampledata.CreateSchema(ctx, db, sampledata.SQLite); err != nil {
		t.Fatal(err)
	}
	gen, err := sampledata.Generate(ctx, db, sampledata.SQLite, o)
	if err != nil {
		t.Fatal(err)
	}
	return db, gen
}

// build says how to assemble one pipeline over the rig.
type build struct {
	store  string          // outbox file name in the rig's directory
	secret string          // client secret sent to the sandbox; the right one if empty
	signer pipeline.Signer // the rig's signer if nil
	opts   func(*pipeline.Options)
}

// pipeline assembles a pipeline from real parts: the iso_dientu source
// over the legacy database, the configured mapper, the hcm-lgsp profile,
// a signer, an outbox and the LGSP client, all on the rig's clock.
func (r *rig) pipeline(t testing.TB, b build) (*pipeline.Pipeline, *outbox.Store) {
	t.Helper()
	ctx := context.Background()
	cfg := r.cfg
	factory, ok := connectors.Lookup(cfg.Source.Type)
	if !ok {
		t.Fatalf("connector %q is not registered", cfg.Source.Type)
	}
	src, err := factory.CreateSource(connectors.Settings{Now: r.clock.Now}, cfg.Source.Settings)
	if err != nil {
		t.Fatal(err)
	}
	if err := src.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = src.Shutdown(context.Background()) })
	mapper, err := mapping.New(cfg.Mapping, mapping.Options{})
	if err != nil {
		t.Fatal(err)
	}
	profile, err := packets.ProfileByName(cfg.LGSP.Profile)
	if err != nil {
		t.Fatal(err)
	}
	if b.store == "" {
		b.store = "outbox.db"
	}
	store, err := outbox.Open(ctx, outbox.Options{Path: filepath.Join(r.dir, b.store), Now: r.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = store.Close() })
	if b.secret == "" {
		b.secret = clientSecret
	}
	client, err := lgsp.New(lgsp.Options{
		BaseURL: r.url, ClientID: clientID, ClientSecret: b.secret,
		QuickRetries: -1, Timeout: 10 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	var signer pipeline.Signer = r.signer
	if b.signer != nil {
		signer = b.signer
	}
	endpoints := map[packets.Kind]string{}
	for k, v := range cfg.LGSP.Endpoints {
		endpoints[packets.Kind(k)] = v
	}
	o := pipeline.Options{
		UnitCode: cfg.Unit.Code, Receiver: cfg.LGSP.Receiver, Profile: profile, Endpoints: endpoints,
		BatchSize: 16, Workers: 4, Lease: time.Minute,
		BackoffBase: 10 * time.Second, BackoffMax: 10 * time.Minute,
		MaskRecord: app.RecordMasker(cfg), Now: r.clock.Now, Owner: "test",
	}
	if b.opts != nil {
		b.opts(&o)
	}
	p, err := pipeline.New(src, mapper, signer, store, client, o)
	if err != nil {
		t.Fatal(err)
	}
	return p, store
}

// allPackets returns every packet of the store in commit order.
func allPackets(t testing.TB, st *outbox.Store) []outbox.Entry {
	t.Helper()
	es, err := st.Query(context.Background(), outbox.Filter{Limit: outbox.MaxQueryLimit})
	if err != nil {
		t.Fatal(err)
	}
	// Query lists newest first.
	for i, j := 0, len(es)-1; i < j; i, j = i+1, j-1 {
		es[i], es[j] = es[j], es[i]
	}
	return es
}

func counts(t testing.TB, st *outbox.Store) outbox.Counts {
	t.Helper()
	c, err := st.Counts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func attempts(t testing.TB, st *outbox.Store, id string) []outbox.Attempt {
	t.Helper()
	as, err := st.Attempts(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return as
}

// recordRef names a source record.
type recordRef struct{ stream, key string }

// legacyKeys lists every row of the two sample tables.
func (r *rig) legacyKeys(t testing.TB) map[recordRef]bool {
	t.Helper()
	out := map[recordRef]bool{}
	for stream, table := range map[string]string{"ho_so": "hs_hoso", "qua_trinh_xu_ly": "hs_qua_trinh"} {
		rows, err := r.legacy.Query("SELECT CAST(id AS TEXT) FROM " + table)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var k string
			if err := rows.Scan(&k); err != nil {
				t.Fatal(err)
			}
			out[recordRef{stream, k}] = true
		}
		if err := rows.Close(); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

func mustExec(t testing.TB, db *sql.DB, q string, args ...any) {
	t.Helper()
	if _, err := db.Exec(q, args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

// dossierSigner signs with an untrusted key every packet about one
// dossier code, and with the trusted key all others: the sandbox's real
// verifier then rejects exactly those packets.
type dossierSigner struct {
	trusted, untrusted *signing.Signer
	maHoSo             string
}

func (s dossierSigner) Sign(doc []byte) ([]byte, error) {
	if bytes.Contains(doc, []byte("<MaHoSo>"+s.maHoSo+"</MaHoSo>")) {
		return s.untrusted.Sign(doc)
	}
	return s.trusted.Sign(doc)
}
