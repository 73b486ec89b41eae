package app_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"io"
	"maps"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hcmc-lgsp/lgsp-connector/connectors"
	_ "github.com/hcmc-lgsp/lgsp-connector/connectors/iso-dientu"
	"github.com/hcmc-lgsp/lgsp-connector/internal/app"
	"github.com/hcmc-lgsp/lgsp-connector/internal/config"
	"github.com/hcmc-lgsp/lgsp-connector/internal/demo"
	"github.com/hcmc-lgsp/lgsp-connector/internal/outbox"
	"github.com/hcmc-lgsp/lgsp-connector/internal/sampledata"
	"github.com/hcmc-lgsp/lgsp-connector/internal/sandbox"
	"github.com/hcmc-lgsp/lgsp-connector/internal/testdb"
	"github.com/hcmc-lgsp/lgsp-connector/mapping"
	"github.com/hcmc-lgsp/lgsp-connector/packets"
	"github.com/hcmc-lgsp/lgsp-connector/stats"
)

// TestEndToEndPortalMariaDB is issue 4's acceptance test: the national
// portal connector (profile dvcqg) over a real MariaDB sample with bad
// rows and a file store, against the sandbox's portal emulation with 5xx,
// 429 and lost acknowledgements, some dossiers already on the portal
// ("đã tồn tại" on create) and every session ended mid-run. Then the
// month's statistics, a catalog refresh after another session expiry, and
// the inbound API: a lookup and a file download.
//
// Everything must arrive once and in order: the portal holds each good
// dossier once and each of its steps once, refused no step for an unknown
// dossier, and received every step after its dossier; steps of
// quarantined dossiers stay in the outbox.
func TestEndToEndPortalMariaDB(t *testing.T) {
	const (
		dossiers, bad = 1500, 15
		preEvery      = 15 // every 15th good dossier is on the portal already
		filesFor      = 3  // dossiers whose documents are in the file store
	)
	ctx := context.Background()
	started := time.Now()

	// The legacy database, its file store and the busiest month.
	dsn, db := testdb.MariaDB(t)
	if err := sampledata.CreateSchema(ctx, db, sampledata.MySQL); err != nil {
		t.Fatal(err)
	}
	gen, err := sampledata.Generate(ctx, db, sampledata.MySQL, sampledata.Options{Seed: 11, Dossiers: dossiers, BadRows: bad, MaxStepsPerDossier: 3})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	filesRoot := filepath.Join(dir, "motcua-files")
	files, err := demo.AddFileStore(ctx, db, filesRoot, gen, filesFor)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < filesFor {
		t.Fatalf("%d sample files, want at least one per dossier of %d", len(files), filesFor)
	}
	year, month, err := demo.BusiestMonth(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	legacy := readLegacy(t, db, gen)

	// The sandbox, without faults while the connector starts (its catalog
	// fetch has no outbox to retry from).
	sb, err := sandbox.New(sandbox.Options{ClientID: "lgsp-connector-demo", ClientSecret: "e2e-secret", Seed: 42})
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

	inboundAddr := freeAddr(t)
	const token = "e2e-bearer-token-0123456789"
	yaml, err := demo.RenderConfig(demo.ConfigParams{
		Driver: "mysql", LegacyDSN: dsn, LGSPURL: "http://" + ln.Addr().String(), ClientSecret: "e2e-secret",
		StorePath: filepath.Join(dir, "portal-outbox.db"), Workers: 16, Lease: "10s",
		Portal: &demo.PortalParams{
			Username: sandbox.DefaultPortalUsername, Password: sandbox.DefaultPortalPassword,
			CityCatalogs: sandbox.CatalogPaths(), Listen: inboundAddr, PublicBaseURL: "http://" + inboundAddr,
			BearerToken: token, LinkSecret: strings.Repeat("e2e-link-secret-", 3), FilesRoot: filesRoot,
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := config.LoadBytes(yaml, dir, config.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	a, err := app.Build(ctx, cfg, app.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close(context.Background())
	if err := a.Inbound.Start(ctx); err != nil {
		t.Fatal(err)
	}

	// Earlier software already put some dossiers on the portal.
	preCreated := preCreate(ctx, t, a, legacy, preEvery)
	preCreatedBy := time.Now()

	// Delivery with faults, every session ended half-way.
	if err := sb.SetFaults(sandbox.Faults{ErrorRate: 0.15, ThrottleRate: 0.05, DropAckRate: 0.03, RetryAfter: time.Second}); err != nil {
		t.Fatal(err)
	}
	var expired int
	watchCtx, stopWatch := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-watchCtx.Done():
				return
			case <-tick.C:
			}
			if sb.Stats().DVCQG.Dossiers >= len(preCreated)+(dossiers-len(preCreated))/2 {
				expired = sb.ExpirePortalSessions()
				return
			}
		}
	}()
	dctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	held, err := demo.DrainHolding(dctx, a.Pipeline, a.Store, 50*time.Millisecond)
	stopWatch()
	wg.Wait()
	if err != nil {
		t.Fatalf("drain: %v; outbox %+v", err, counts(t, a.Store))
	}
	if err := sb.SetFaults(sandbox.Faults{}); err != nil {
		t.Fatal(err)
	}
	delivered := time.Since(started)

	st := sb.Stats()
	t.Logf("portal e2e: %d dossiers + %d steps (+%d bad) delivered in %s; held %d; portal %+v; injected 5xx %d, 429 %d, lost acks %d",
		gen.Dossiers, legacy.goodSteps, bad, delivered.Round(time.Millisecond), held, st.DVCQG, st.Injected5xx, st.Injected429, st.InjectedDrop)

	t.Run("held steps reported", func(t *testing.T) {
		// The steps of the bad dossiers (quarantined, so never sent) are
		// what the connector reports as waiting for a dossier.
		o, text, err := app.OrphanSteps(ctx, a.Store)
		if err != nil {
			t.Fatal(err)
		}
		if held == 0 || o.Packets != held || len(o.MaHoSo) == 0 || !strings.Contains(text, o.MaHoSo[0]) {
			t.Errorf("orphaned steps %+v (%q), want the %d held ones", o, text, held)
		}
	})

	t.Run("faults happened", func(t *testing.T) {
		if st.Injected5xx == 0 || st.Injected429 == 0 || st.InjectedDrop == 0 {
			t.Errorf("fault injection did not happen: 5xx %d, 429 %d, lost acks %d", st.Injected5xx, st.Injected429, st.InjectedDrop)
		}
		if expired == 0 || st.DVCQG.SessionRejected == 0 || st.DVCQG.Calls["login"] < 2 {
			t.Errorf("session expiry not exercised: %d sessions expired, %d calls refused, %d logins", expired, st.DVCQG.SessionRejected, st.DVCQG.Calls["login"])
		}
		if st.DVCQG.AlreadyExists == 0 {
			t.Errorf("no create was answered \"đã tồn tại\" although %d dossiers were on the portal", len(preCreated))
		}
	})

	t.Run("every dossier and step arrived once", func(t *testing.T) {
		if st.DVCQG.Dossiers != gen.Dossiers {
			t.Errorf("portal holds %d dossiers, want the %d good ones", st.DVCQG.Dossiers, gen.Dossiers)
		}
		if st.DVCQG.Steps != legacy.goodSteps {
			t.Errorf("portal holds %d steps, want the %d of good dossiers", st.DVCQG.Steps, legacy.goodSteps)
		}
		if want := gen.Steps - legacy.goodSteps; held != want {
			t.Errorf("%d steps held in the outbox, want the %d of quarantined dossiers", held, want)
		}
		updates := 0
		for _, m := range legacy.good {
			d, ok := sb.PortalDossier(m)
			if !ok {
				t.Errorf("dossier %s never reached the portal", m)
				continue
			}
			if preCreated[m] {
				if d.Updates == 0 {
					t.Errorf("dossier %s was on the portal before: the connector's version must replace it (0 updates)", m)
				}
			} else {
				updates += d.Updates
			}
			times := map[string]bool{}
			for _, raw := range d.Steps {
				var s struct{ ThoiDiemXuLy string }
				if err := json.Unmarshal(raw, &s); err != nil {
					t.Fatalf("dossier %s: step %s: %v", m, raw, err)
				}
				if times[s.ThoiDiemXuLy] {
					t.Errorf("dossier %s: step at %s arrived twice", m, s.ThoiDiemXuLy)
				}
				times[s.ThoiDiemXuLy] = true
			}
			if len(d.Steps) != legacy.steps[m] {
				t.Errorf("dossier %s: portal has %d steps, legacy database %d", m, len(d.Steps), legacy.steps[m])
			}
		}
		// A lost acknowledgement makes the connector send its dossier again,
		// as an update (the portal had it); nothing else may.
		if updates > st.InjectedDrop {
			t.Errorf("%d updates of dossiers sent once, more than the %d lost acknowledgements", updates, st.InjectedDrop)
		}
		c := counts(t, a.Store)
		if c.Dead != 0 || c.InFlight != 0 || c.Pending != held || c.Quarantined != bad || c.Delivered != gen.Dossiers+legacy.goodSteps {
			t.Errorf("outbox %+v: want %d delivered, %d pending (held), %d quarantined, none dead", c, gen.Dossiers+legacy.goodSteps, held, bad)
		}
	})

	t.Run("progress never before its dossier", func(t *testing.T) {
		// Every refusal was a session or a "đã tồn tại": none for a step
		// whose dossier the portal did not have, no conflicts, nothing
		// invalid.
		if st.Invalid != 0 || st.Conflicts != 0 || st.Rejected != st.DVCQG.SessionRejected+st.DVCQG.AlreadyExists {
			t.Errorf("portal refused %d calls (%d invalid, %d conflicts, %d session, %d đã tồn tại): want only session and đã tồn tại refusals",
				st.Rejected, st.Invalid, st.Conflicts, st.DVCQG.SessionRejected, st.DVCQG.AlreadyExists)
		}
		first := map[string]time.Time{}
		for m := range preCreated {
			first[m] = preCreatedBy
		}
		accepted := sb.Accepted()
		for _, x := range accepted {
			if x.Kind != "DongBoHoSoMC" || x.MaHoSo == "" {
				continue
			}
			if t0, ok := first[x.MaHoSo]; !ok || x.At.Before(t0) {
				first[x.MaHoSo] = x.At
			}
		}
		steps := 0
		for _, x := range accepted {
			if x.Kind != "CapNhatTienDoHoSoMC" {
				continue
			}
			steps++
			t0, ok := first[x.MaHoSo]
			if !ok || x.At.Before(t0) {
				t.Errorf("step message %s for dossier %s accepted at %s, before its dossier (%v)", x.MessageID, x.MaHoSo, x.At.Format(time.RFC3339Nano), t0)
			}
		}
		if steps == 0 {
			t.Error("no step message was accepted")
		}
	})

	t.Run("monthly statistics", func(t *testing.T) {
		zone, err := time.LoadLocation(stats.DefaultZone)
		if err != nil {
			t.Fatal(err)
		}
		p := stats.MonthPeriod(year, month, zone)
		rep, err := app.ComputeStats(ctx, cfg, p, app.StatsOptions{Statistics: cfg.Statistics, Mapping: a.Catalogs.MappingOptions(mapping.Options{})})
		if err != nil {
			t.Fatal(err)
		}
		f := rep.Result.Figures
		if f.SoNhanTrongKy == 0 || f.Check() != nil {
			t.Fatalf("figures of %s: %+v (%v)", p, f, f.Check())
		}
		sender, err := app.NewStatsSender(ctx, cfg, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := sender.SendStats(ctx, f); err != nil {
			t.Fatal(err)
		}
		item, err := f.DVCQGItem()
		if err != nil {
			t.Fatal(err)
		}
		var want map[string]string
		if err := json.Unmarshal(item, &want); err != nil {
			t.Fatal(err)
		}
		got, ok := sb.PortalStatistics(cfg.DVCQG.MaDonVi, year, int(month))
		if !ok {
			t.Fatalf("the portal stored no statistics for %s %d-%02d", cfg.DVCQG.MaDonVi, year, month)
		}
		if !maps.Equal(got, want) {
			t.Errorf("portal stored %v, computed %v", got, want)
		}
		t.Logf("statistics %s: %s (computed in %s)", p, item, rep.Elapsed.Round(time.Millisecond))
	})

	t.Run("catalog refresh", func(t *testing.T) {
		sb.ExpirePortalSessions() // the refresh logs in again by itself
		logins := sb.Stats().DVCQG.Calls["login"]
		results, err := a.Catalogs.Syncer.Sync(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if after := sb.Stats().DVCQG.Calls["login"]; after <= logins {
			t.Errorf("logins %d before the refresh, %d after: the expired session was not renewed", logins, after)
		}
		if len(results) != len(cfg.Catalogs.Refresh) {
			t.Errorf("refreshed %d catalogs, want %d (%v)", len(results), len(cfg.Catalogs.Refresh), cfg.Catalogs.Refresh)
		}
		want := fixtureRows(t)
		list, err := a.Catalogs.Store.List(ctx)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]int{}
		for _, i := range list {
			got[i.Name] = i.Rows
			if i.LastError != "" {
				t.Errorf("catalog %s: %s", i.Name, i.LastError)
			}
		}
		for _, name := range cfg.Catalogs.Refresh {
			if got[name] == 0 || got[name] != want[name] {
				t.Errorf("catalog %s: %d rows cached, fixtures have %d", name, got[name], want[name])
			}
		}
	})

	t.Run("inbound lookup and download", func(t *testing.T) {
		f := files[0]
		base := "http://" + inboundAddr
		item := lookup(ctx, t, base+"/dvcqg/TraCuuHoSo", token, f.MaHoSo)
		d, ok := sb.PortalDossier(f.MaHoSo)
		if !ok {
			t.Fatalf("portal does not have %s", f.MaHoSo)
		}
		var sent map[string]json.RawMessage
		if err := json.Unmarshal(d.Item, &sent); err != nil {
			t.Fatal(err)
		}
		if k1, k2 := keys(item), keys(sent); !slices.Equal(k1, k2) {
			t.Errorf("lookup answered fields %v, DongBoHoSoMC sent %v", k1, k2)
		}
		for k, v := range sent {
			if k != "TaiLieuNop" && !bytes.Equal(item[k], v) {
				t.Errorf("%s: lookup answered %s, DongBoHoSoMC sent %s", k, item[k], v)
			}
		}
		// The link the portal received with the dossier, and the fresh one
		// in the lookup's answer, both give the file.
		for what, raw := range map[string]json.RawMessage{"DongBoHoSoMC": d.Item, "TraCuuHoSo": mustJSON(t, item)} {
			link := fileLinkOf(t, raw, f.DocumentID)
			if !strings.HasPrefix(link, base+"/files/") {
				t.Fatalf("%s: document %d link %q is not a signed link of %s", what, f.DocumentID, link, base)
			}
			got := get(ctx, t, link)
			if !bytes.Equal(got, f.Content) {
				t.Errorf("%s link: downloaded %d bytes, want the %d bytes of %s", what, len(got), len(f.Content), f.Ref)
			}
		}
		// Shutdown waits for running calls, whose log rows are written
		// after their answer.
		if err := a.Inbound.Shutdown(ctx); err != nil {
			t.Fatal(err)
		}
		calls, err := a.Store.Inbound(ctx, outbox.Filter{Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		var lookups, downloads int
		for _, c := range calls {
			switch {
			case c.MaHoSo == f.MaHoSo && c.Status == http.StatusOK:
				lookups++
			case c.FileRef == f.Ref && c.Status == http.StatusOK:
				downloads++
			}
		}
		if lookups != 1 || downloads != 2 {
			t.Errorf("inbound log has %d lookups and %d downloads of %s, want 1 and 2: %+v", lookups, downloads, f.MaHoSo, calls)
		}
	})
	t.Logf("whole test %s", time.Since(started).Round(time.Millisecond))
}

// legacyData is what the sample database holds, read back.
type legacyData struct {
	good      []string       // MaHoSo of good dossiers, in id order
	steps     map[string]int // steps per MaHoSo
	goodSteps int            // steps of good dossiers
}

func readLegacy(t *testing.T, db *sql.DB, gen sampledata.Stats) legacyData {
	t.Helper()
	ctx := context.Background()
	d := legacyData{steps: map[string]int{}}
	rows, err := db.QueryContext(ctx, `SELECT h.id, h.so_ho_so, COUNT(q.id) FROM hs_hoso h LEFT JOIN hs_qua_trinh q ON q.hoso_id = h.id GROUP BY h.id, h.so_ho_so ORDER BY h.id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var code sql.NullString
		var n int
		if err := rows.Scan(&id, &code, &n); err != nil {
			t.Fatal(err)
		}
		if _, bad := gen.BadReasons[id]; bad {
			continue
		}
		d.good = append(d.good, code.String)
		d.steps[code.String] = n
		d.goodSteps += n
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if len(d.good) != gen.Dossiers {
		t.Fatalf("read %d good dossiers back, generated %d", len(d.good), gen.Dossiers)
	}
	return d
}

// preCreate puts every nth good dossier on the portal, as earlier software
// would have: looked up in the legacy database, mapped and sent with
// DongBoHoSoMC as creates, before the connector's pipeline runs.
func preCreate(ctx context.Context, t *testing.T, a *app.App, legacy legacyData, every int) map[string]bool {
	t.Helper()
	look := connectors.LookuperOf(a.Source, "ho_so")
	if look == nil {
		t.Fatal("the source cannot look dossiers up")
	}
	out := map[string]bool{}
	var items [][]byte
	for i := 0; i < len(legacy.good); i += every {
		m := legacy.good[i]
		rec, found, err := look.Lookup(ctx, "ho_so", m)
		if err != nil || !found {
			t.Fatalf("lookup %s: found %v, %v", m, found, err)
		}
		p, _, err := a.Mapper.Map("ho_so", rec.Key, rec.Values)
		if err != nil {
			t.Fatalf("map %s: %v", m, err)
		}
		item, err := packets.EncodeDVCQGItem(p)
		if err != nil {
			t.Fatalf("encode %s: %v", m, err)
		}
		items = append(items, item)
		out[m] = true
	}
	for len(items) > 0 {
		n := min(len(items), 20)
		if err := a.Portal.DongBoHoSoMC(ctx, items[:n], false); err != nil {
			t.Fatalf("pre-create: %v", err)
		}
		items = items[n:]
	}
	return out
}

func counts(t *testing.T, st *outbox.Store) outbox.Counts {
	t.Helper()
	c, err := st.Counts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// fixtureRows counts the rows of the sandbox's catalog fixtures, as the
// cache should hold them: each city catalog and portal catalogue whole,
// and LayThuTuc for the codes of the procedures catalog it knows.
func fixtureRows(t *testing.T) map[string]int {
	t.Helper()
	read := func(path string) []map[string]any {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		var rows []map[string]any
		if err := json.Unmarshal(b, &rows); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		return rows
	}
	out := map[string]int{}
	for name := range sandbox.CatalogPaths() {
		out[name] = len(read(filepath.Join("..", "sandbox", "catalogdata", name+".json")))
	}
	for _, name := range []string{"LayDanhMucCoQuan", "LayDanhMucLinhVuc", "LayDanhSachTTHC"} {
		out[name] = len(read(filepath.Join("..", "sandbox", "fixtures", "dvcqg", name+".json")))
	}
	codes := map[string]bool{}
	for _, r := range read(filepath.Join("..", "sandbox", "catalogdata", "procedures.json")) {
		codes[r["Ma"].(string)] = true
	}
	for _, r := range read(filepath.Join("..", "sandbox", "fixtures", "dvcqg", "LayThuTuc.json")) {
		if codes[r["MATTHC"].(string)] {
			out["LayThuTuc"]++
		}
	}
	return out
}

// lookup asks the inbound API for a dossier as the portal does, and
// returns its one item.
func lookup(ctx context.Context, t *testing.T, url, token, maHoSo string) map[string]json.RawMessage {
	t.Helper()
	body := `{"service":"TraCuuHoSo","madonvi":"000.00.12.H29","mahoso":"` + maHoSo + `"}`
	for _, tc := range []struct {
		token  string
		status int
	}{{"wrong-token-wrong-token", http.StatusUnauthorized}, {token, http.StatusOK}} {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+tc.token)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != tc.status {
			t.Fatalf("lookup with token %q: HTTP %d, want %d: %s", tc.token[:5]+"…", resp.StatusCode, tc.status, b)
		}
		if tc.status != http.StatusOK {
			continue
		}
		var answer struct {
			ErrorCode int                          `json:"error_code"`
			Result    []map[string]json.RawMessage `json:"result"`
		}
		if err := json.Unmarshal(b, &answer); err != nil {
			t.Fatal(err)
		}
		if answer.ErrorCode != 0 || len(answer.Result) != 1 {
			t.Fatalf("lookup %s: %s", maHoSo, b)
		}
		return answer.Result[0]
	}
	return nil
}

func get(ctx context.Context, t *testing.T, url string) []byte {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: HTTP %d, %v: %.200s", url, resp.StatusCode, err, b)
	}
	return b
}

// fileLinkOf returns DuongDanTaiTepTin of document id in a dossier item.
func fileLinkOf(t *testing.T, item json.RawMessage, id int64) string {
	t.Helper()
	var d struct {
		TaiLieuNop []struct {
			TepDinhKemId      json.Number
			DuongDanTaiTepTin string
		}
	}
	dec := json.NewDecoder(bytes.NewReader(item))
	dec.UseNumber()
	if err := dec.Decode(&d); err != nil {
		t.Fatal(err)
	}
	for _, doc := range d.TaiLieuNop {
		if n, err := doc.TepDinhKemId.Int64(); err == nil && n == id {
			return doc.DuongDanTaiTepTin
		}
	}
	t.Fatalf("document %d is not in TaiLieuNop of %s", id, item)
	return ""
}

func mustJSON(t *testing.T, v any) json.RawMessage {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func keys(m map[string]json.RawMessage) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// freeAddr is a free loopback address for the inbound API, whose links
// must name it before it starts.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	if err := ln.Close(); err != nil {
		t.Fatal(err)
	}
	return addr
}
