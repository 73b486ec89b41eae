package chaos_test

import (
	"bytes"
	"context"
	"crypto/x509"
	"database/sql"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/hcmc-lgsp/lgsp-connector/internal/demo"
	"github.com/hcmc-lgsp/lgsp-connector/internal/outbox"
	"github.com/hcmc-lgsp/lgsp-connector/internal/sampledata"
	"github.com/hcmc-lgsp/lgsp-connector/internal/sandbox"
	"github.com/hcmc-lgsp/lgsp-connector/internal/testdb"
	"github.com/hcmc-lgsp/lgsp-connector/signing"
)

// Environment knobs. LGSP_CHAOS_LONG=1 selects the long versions; the
// others override single figures of whichever version runs.
const (
	longEnv     = "LGSP_CHAOS_LONG"
	seedEnv     = "LGSP_CHAOS_SEED"
	dossiersEnv = "LGSP_CHAOS_DOSSIERS"
	killsEnv    = "LGSP_CHAOS_KILLS"
	outageEnv   = "LGSP_CHAOS_OUTAGE"
)

// The sandbox's credentials, as the demo configuration template names them.
const (
	clientID     = "lgsp-connector-demo"
	clientSecret = "chaos-secret"
)

// maxSteps bounds the processing steps per sample dossier: 1..5, three on
// average.
const maxSteps = 5

func longRun() bool { return os.Getenv(longEnv) == "1" }

// envInt reads a positive integer knob, or returns def when it is unset.
func envInt(t *testing.T, name string, def int) int {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		t.Fatalf("%s=%q: want a positive whole number", name, v)
	}
	return n
}

// envDuration reads a duration knob, or returns def when it is unset.
func envDuration(t *testing.T, name string, def time.Duration) time.Duration {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		t.Fatalf("%s=%q: want a positive duration such as 10s or 10m", name, v)
	}
	return d
}

// legacy is a sample one-stop database on the real MariaDB server.
type legacy struct {
	dsn string
	db  *sql.DB
	gen sampledata.Stats
}

func newLegacy(t *testing.T, dossiers int, seed uint64) legacy {
	t.Helper()
	ctx := context.Background()
	dsn, db := testdb.MariaDB(t)
	if err := sampledata.CreateSchema(ctx, db, sampledata.MySQL); err != nil {
		t.Fatal(err)
	}
	gen, err := sampledata.Generate(ctx, db, sampledata.MySQL, sampledata.Options{Seed: seed, Dossiers: dossiers, MaxStepsPerDossier: maxSteps})
	if err != nil {
		t.Fatal(err)
	}
	return legacy{dsn: dsn, db: db, gen: gen}
}

// packets is how many packets the database must produce: one per dossier
// and one per processing step.
func (l legacy) packets() int { return l.gen.Dossiers + l.gen.Steps }

// stepsByDossier counts the processing steps of every dossier code, read
// back from the database rather than trusted from the generator.
func (l legacy) stepsByDossier(t *testing.T) map[string]int {
	t.Helper()
	rows, err := l.db.Query(`SELECT so_ho_so, COUNT(*) FROM hs_qua_trinh GROUP BY so_ho_so`)
	if err != nil {
		t.Fatalf("count steps per dossier: %v", err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var code string
		var n int
		if err := rows.Scan(&code, &n); err != nil {
			t.Fatalf("count steps per dossier: %v", err)
		}
		out[code] = n
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("count steps per dossier: %v", err)
	}
	return out
}

// dossierCode returns the code (MaHoSo) of dossier id.
func (l legacy) dossierCode(t *testing.T, id int64) string {
	t.Helper()
	var code string
	if err := l.db.QueryRow(`SELECT so_ho_so FROM hs_hoso WHERE id = ?`, id).Scan(&code); err != nil {
		t.Fatalf("read code of dossier %d: %v", id, err)
	}
	return code
}

// signingKey is the unit's key pair on disk and a verifier trusting it.
type signingKey struct {
	certFile, keyFile string
	verify            func(doc []byte) error
}

func newSigningKey(t *testing.T, dir string) signingKey {
	t.Helper()
	key, cert, err := signing.GenerateSelfSigned("chaos test unit", 24*time.Hour, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	k := signingKey{certFile: filepath.Join(dir, "cert.pem"), keyFile: filepath.Join(dir, "key.pem")}
	keyPEM, err := signing.EncodeKeyPEM(key)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(k.certFile, signing.EncodeCertPEM(cert), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(k.keyFile, keyPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	v, err := signing.NewVerifier([]*x509.Certificate{cert})
	if err != nil {
		t.Fatal(err)
	}
	k.verify = v.VerifyBytes
	return k
}

// startSandbox serves an LGSP sandbox on a loopback port for the length of
// the test and returns it with its base URL. It lives in the test process,
// so it outlives every connector process the test kills.
func startSandbox(t *testing.T, o sandbox.Options) (*sandbox.Server, string) {
	t.Helper()
	o.ClientID, o.ClientSecret = clientID, clientSecret
	// Keep metadata only: the checks need message IDs, kinds and dossier
	// codes, not hundreds of megabytes of bodies.
	o.MaxMemoryBytes = 1
	sb, err := sandbox.New(o)
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
	return sb, "http://" + ln.Addr().String()
}

// connectorConfig renders the demo configuration template for the legacy
// database and the sandbox, with edits: each key of edits is a line of the
// rendered template that must occur exactly once, replaced by its value.
// The admin server is switched off so that no test holds a fixed port.
func connectorConfig(t *testing.T, p demo.ConfigParams, edits map[string]string) []byte {
	t.Helper()
	y, err := demo.RenderConfig(p)
	if err != nil {
		t.Fatal(err)
	}
	for from, to := range edits {
		if n := bytes.Count(y, []byte(from)); n != 1 {
			t.Fatalf("demo configuration template: line %q occurs %d times, want once; update the chaos test to the template", from, n)
		}
		y = bytes.Replace(y, []byte(from), []byte(to), 1)
	}
	return append(y, "\nadmin:\n  listen: \"\"\n"...)
}

// settled reports whether nothing is left to deliver.
func settled(c outbox.Counts) bool { return c.Pending == 0 && c.InFlight == 0 }

// maHoSoElement finds the dossier code in a packet's bytes.
var maHoSoElement = regexp.MustCompile(`<MaHoSo>([^<]*)</MaHoSo>`)

// packetMaHoSo returns the dossier code a signed hcm-lgsp packet carries.
func packetMaHoSo(doc []byte) string {
	m := maHoSoElement.FindSubmatch(doc)
	if m == nil {
		return ""
	}
	return string(m[1])
}

// checkAccepted compares what the sandbox stored with the legacy database:
// every dossier exactly once (never under two message IDs), every dossier's
// steps exactly once each, nothing from the excluded dossiers.
func checkAccepted(t *testing.T, accepted []sandbox.Accepted, l legacy, excluded map[string]bool) {
	t.Helper()
	dossierIDs := map[string]map[string]bool{} // MaHoSo -> message IDs of HoSo packets
	steps := map[string]int{}                  // MaHoSo -> TienDoXuLy packets
	for _, a := range accepted {
		if excluded[a.MaHoSo] {
			t.Errorf("packet %s of dossier %s was accepted; that dossier must be refused", a.MessageID, a.MaHoSo)
		}
		switch a.Kind {
		case "HoSo":
			if dossierIDs[a.MaHoSo] == nil {
				dossierIDs[a.MaHoSo] = map[string]bool{}
			}
			dossierIDs[a.MaHoSo][a.MessageID] = true
		case "TienDoXuLy":
			steps[a.MaHoSo]++
		default:
			t.Errorf("unexpected packet kind %q (message %s)", a.Kind, a.MessageID)
		}
	}
	reported := 0
	for code, ids := range dossierIDs {
		if len(ids) != 1 && reported < 10 {
			reported++
			t.Errorf("dossier %s accepted under %d message IDs, want exactly one", code, len(ids))
		}
	}
	if want := l.gen.Dossiers - len(excluded); len(dossierIDs) != want {
		t.Errorf("sandbox holds %d distinct dossiers, want %d", len(dossierIDs), want)
	}
	reported = 0
	for code, n := range l.stepsByDossier(t) {
		want := n
		if excluded[code] {
			want = 0
		}
		if steps[code] != want && reported < 10 {
			reported++
			t.Errorf("dossier %s: sandbox holds %d progress packets, the database has %d steps (want %d)", code, steps[code], n, want)
		}
	}
}
