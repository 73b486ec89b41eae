package hardening_test

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hcmc-lgsp/lgsp-connector/internal/app"
	"github.com/hcmc-lgsp/lgsp-connector/internal/demo"
	"github.com/hcmc-lgsp/lgsp-connector/internal/outbox"
	"github.com/hcmc-lgsp/lgsp-connector/internal/sampledata"
	"github.com/hcmc-lgsp/lgsp-connector/internal/sandbox"
	"github.com/hcmc-lgsp/lgsp-connector/internal/testdb"
)

// The tests below reproduce defects found while hardening (in the SQL
// source, the outbox and the sandbox); they guard the fixes.

// TestRegressionUnreadableRowsBlockStream: when a whole batch consists of
// rows whose update time cannot be read (MySQL zero date), the cursor
// cannot move and every poll reads the same batch again; the good rows
// after it are never read. Here 12 zero-date dossiers at batch_size 10
// keep 8 good dossiers (and 2 bad ones) from ever being read.
func TestRegressionUnreadableRowsBlockStream(t *testing.T) {
	ctx := context.Background()
	dsn, db := testdb.MariaDB(t)
	if err := sampledata.CreateSchema(ctx, db, sampledata.MySQL); err != nil {
		t.Fatal(err)
	}
	gen, err := sampledata.Generate(ctx, db, sampledata.MySQL, sampledata.Options{Seed: 11, Dossiers: 20, MaxStepsPerDossier: 1})
	if err != nil {
		t.Fatal(err)
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(ctx, `SET SESSION sql_mode = 'STRICT_TRANS_TABLES'`); err != nil {
		t.Fatal(err)
	}
	const zeroDated = 12
	if _, err := conn.ExecContext(ctx, `UPDATE hs_hoso SET ngay_cap_nhat = '0000-00-00 00:00:00' WHERE id <= ?`, zeroDated); err != nil {
		t.Fatal(err)
	}
	_ = conn.Close()
	dir := t.TempDir()
	sf := newSigningFiles(t, dir)
	sb, url := startSandbox(t, sandbox.Options{ClientID: sandboxClientID, ClientSecret: "s", Verify: sf.verifier.VerifyBytes}, nil)
	yaml, err := demo.RenderConfig(demo.ConfigParams{Driver: "mysql", LegacyDSN: dsn, LGSPURL: url, ClientSecret: "s",
		CertFile: sf.certFile, KeyFile: sf.keyFile, StorePath: filepath.Join(dir, "outbox.db")})
	if err != nil {
		t.Fatal(err)
	}
	yaml = []byte(strings.Replace(string(yaml), "batch_size: 500", "batch_size: 10", 1))
	a := build(t, yaml, dir, app.Options{})
	for range 3 { // a few scheduled polls
		drain(t, a, time.Minute)
	}
	q, err := a.Store.Quarantine(ctx, outbox.Filter{Stream: "ho_so"})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := sb.Stats().ByKind["HoSo"], gen.Dossiers-zeroDated; got != want || len(q) != zeroDated {
		t.Errorf("%d dossiers delivered and %d quarantined, want %d and %d: the rows after the unreadable ones were never read",
			got, len(q), want, zeroDated)
	}
}

// TestRegressionDSNInJSON: config.Secret hides itself in every encoding,
// but the iso_dientu DSN type only in fmt (String/GoString): marshalled to
// JSON, or logged with a JSON slog handler, the legacy database password
// shows.
func TestRegressionDSNInJSON(t *testing.T) {
	cfg := secretConfig(t)
	asJSON, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var logged lockedBuffer
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("configuration", "config", cfg, "source", cfg.Source.Settings)
	checkRenderings(t, map[string]string{"json.Marshal": string(asJSON), "slog JSON": logged.String()}, showSecrets)
}

// TestRegressionOpenOnFullDisk: a connector restarted on a full disk (after
// a clean shutdown removed the WAL and shared-memory files) cannot open
// the outbox, which is right, but says "disk I/O error …; is it an SQLite
// file?" instead of outbox.ErrStoreFull: the operator is sent looking for
// a corrupt file instead of freeing space.
func TestRegressionOpenOnFullDisk(t *testing.T) {
	ctx := context.Background()
	vol := filepath.Join(t.TempDir(), "vol")
	if err := os.Mkdir(vol, 0o700); err != nil {
		t.Fatal(err)
	}
	disk := newFullDisk(t, vol)
	path := filepath.Join(vol, "outbox.db")
	st, err := outbox.Open(ctx, outbox.Options{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	disk.fill(t)
	defer disk.free(t)
	st, err = outbox.Open(ctx, outbox.Options{Path: path})
	if err == nil {
		_ = st.Close()
		t.Skip("the store opened on a full disk; nothing to classify")
	}
	if !errors.Is(err, outbox.ErrStoreFull) || strings.Contains(err.Error(), "is it an SQLite file") {
		t.Errorf("open on a full disk: %v; want outbox.ErrStoreFull and no hint of a foreign file", err)
	}
}

// TestRegressionSandboxAdminDNSRebinding: /sandbox/* trusts every loopback
// peer and refuses only a foreign Origin. A page whose host name an
// attacker re-points at 127.0.0.1 (DNS rebinding) is same-origin with
// itself: the browser sends Host: its-name and no Origin on GET, so it
// can read stored packets (personal data) and, with a same-origin POST,
// change faults. Checking Host against loopback names (as Caddy's admin
// API does) closes it.
func TestRegressionSandboxAdminDNSRebinding(t *testing.T) {
	_, local, _ := exposedSandbox(t)
	port := local[strings.LastIndexByte(local, ':')+1:]
	for _, h := range []map[string]string{
		{"Host": "rebind.attacker.example:" + port},
		{"Host": "rebind.attacker.example:" + port, "Origin": "http://rebind.attacker.example:" + port},
	} {
		if got := do(t, http.MethodGet, local+"/sandbox/packets", h, ""); got.status == http.StatusOK {
			t.Errorf("GET /sandbox/packets with %v served from loopback: %d", h, got.status)
		}
	}
}
