package demo_test

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	_ "github.com/hcmc-lgsp/lgsp-connector/connectors/iso-dientu" // the demo's source
	"github.com/hcmc-lgsp/lgsp-connector/internal/config"
	"github.com/hcmc-lgsp/lgsp-connector/internal/demo"
	"github.com/hcmc-lgsp/lgsp-connector/ratings"
)

// TestRunExportsEveryDeliveredPacket: a clean demo run (no bad rows, no
// injected faults) delivers one packet per dossier, step and survey answer
// (a clean survey has no re-sends and no unmappable answers) and exports
// every one of them — more than a delivery-log page of 100 — under its
// message ID, with the certificate.
func TestRunExportsEveryDeliveredPacket(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	export := t.TempDir()
	sum, err := demo.Run(ctx, demo.Options{Dir: t.TempDir(), ExportDir: export, Dossiers: 60, BadRows: 0, Ratings: 40})
	if err != nil {
		t.Fatal(err)
	}
	want := int64(sum.Dossiers + sum.Steps + 40)
	if sum.Dossiers != 60 || sum.BadRows != 0 || sum.Quarantined != 0 {
		t.Errorf("sample %d dossiers, %d bad, %d quarantined: want 60, 0, 0", sum.Dossiers, sum.BadRows, sum.Quarantined)
	}
	if r := sum.Ratings; r.SampleRows != 40 || r.Read != 40 || r.Queued != 40 || r.Delivered != 40 || r.Sandbox != 40 ||
		r.Quarantined != 0 || r.DuplicatesDropped != 0 || sum.Sandbox.ByKind["DanhGia"] != 40 {
		t.Errorf("ratings %+v, sandbox %v: want 40 answers read, delivered and stored, none dropped", r, sum.Sandbox.ByKind)
	}
	if want <= 100 {
		t.Fatalf("only %d packets: the test must export more than one page of 100", want)
	}
	if sum.Read != want || sum.Queued != want || sum.Delivered != want || sum.Failed != 0 {
		t.Errorf("totals %+v: want %d read, queued and delivered", sum.Totals, want)
	}
	if sum.Sandbox.Unique != int(want) || sum.Sandbox.Injected5xx != 0 {
		t.Errorf("sandbox %+v: want %d unique packets and no injected faults", sum.Sandbox, want)
	}
	if int64(sum.Exported) != want {
		t.Errorf("exported %d, want %d", sum.Exported, want)
	}
	files, err := filepath.Glob(filepath.Join(export, "*.xml"))
	if err != nil {
		t.Fatal(err)
	}
	if int64(len(files)) != want {
		t.Fatalf("%d packet files, want %d", len(files), want)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		id := strings.TrimSuffix(filepath.Base(f), ".xml")
		if !bytes.Contains(b, []byte("<MaGoiTin>"+id+"</MaGoiTin>")) || !bytes.Contains(b, []byte("<SignatureValue>")) {
			t.Errorf("%s is not the signed packet %s", filepath.Base(f), id)
		}
	}
	cert, err := os.ReadFile(filepath.Join(export, "signing-cert.pem"))
	if err != nil || !bytes.HasPrefix(cert, []byte("-----BEGIN CERTIFICATE-----")) {
		t.Errorf("certificate not exported: %v", err)
	}
	checkPortal(t, sum, 0)
}

// checkPortal checks the national portal part of a demo summary: every
// good dossier and step on the portal once (steps of quarantined dossiers
// held), one call per packet, the sessions renewed, the catalogs cached,
// the busiest month's figures consistent and sent, one lookup and one
// download.
func checkPortal(t *testing.T, sum demo.Summary, bad int) {
	t.Helper()
	p := sum.Portal
	// The portal connector reads the one-stop database only: the survey
	// is the city connector's second source.
	read, queued := sum.Read-sum.Ratings.Read, sum.Queued-int64(sum.Ratings.Queued)
	if p.Read != read || p.Queued != queued || p.Quarantined != int64(bad) || p.Failed != 0 {
		t.Errorf("portal totals %+v: want the city connector's %d read, %d queued of the one-stop database, %d quarantined, none failed", p.Totals, read, queued, bad)
	}
	if p.Delivered+int64(p.Held) != p.Queued {
		t.Errorf("portal delivered %d + held %d != queued %d", p.Delivered, p.Held, p.Queued)
	}
	if p.PortalDossiers != sum.Dossiers || p.PortalSteps+p.Held != sum.Steps || int64(p.PortalDossiers+p.PortalSteps) != p.Delivered {
		t.Errorf("portal holds %d dossiers and %d steps (%d held): want %d and %d, as delivered (%d)", p.PortalDossiers, p.PortalSteps, p.Held, sum.Dossiers, sum.Steps, p.Delivered)
	}
	if bad == 0 && p.Held != 0 {
		t.Errorf("%d steps held without a quarantined dossier", p.Held)
	}
	if bad > 0 && p.Held < bad {
		t.Errorf("%d steps held; every one of the %d quarantined dossiers has at least one", p.Held, bad)
	}
	if p.SessionsExpired == 0 || p.SessionRejected == 0 || sum.DVCQG["login"] < 2 {
		t.Errorf("sessions: %d expired, %d calls refused, %d logins: want a re-login", p.SessionsExpired, p.SessionRejected, sum.DVCQG["login"])
	}
	if sum.DVCQG["DongBoHoSoMC"] < p.PortalDossiers || sum.DVCQG["CapNhatTienDoHoSoMC"] < p.PortalSteps || sum.DVCQG["DongBoThongKeHoSo"] != 1 {
		t.Errorf("portal calls %v: want a DongBoHoSoMC per dossier, a CapNhatTienDoHoSoMC per step, one DongBoThongKeHoSo", sum.DVCQG)
	}
	for _, name := range []string{"units", "officials", "procedures", "rating_criteria", "LayDanhMucCoQuan", "LayDanhMucLinhVuc", "LayDanhSachTTHC", "LayThuTuc"} {
		if sum.Catalogs[name] == 0 {
			t.Errorf("catalog %s: no rows cached (%v)", name, sum.Catalogs)
		}
	}
	s := sum.Statistics
	f := s.Result.Figures
	if err := f.Check(); err != nil || f.SoNhanTrongKy == 0 || !s.Sent {
		t.Errorf("statistics %s: %+v, sent %v: %v", s.Period, f, s.Sent, err)
	}
	if s.SoNhanTrongKy != f.SoNhanTrongKy || s.TongChuaXuLyTreHan != f.TongChuaXuLyTreHan || string(s.PhanTramXuLyDungHan) != f.PhanTramXuLyDungHan.String() {
		t.Errorf("summary figures %+v differ from the computed %+v", s, f)
	}
	if want := busiestMonth(t, filepath.Join(sum.Dir, "legacy-motcua.db")); s.Period != want {
		t.Errorf("statistics for %s, want the busiest month %s", s.Period, want)
	}
	// The same month's DongBoDanhGia: the overall answers of the survey's
	// database, one per ma_phieu, counted by level.
	mr := sum.MonthlyRatings
	lv := overallLevels(t, filepath.Join(sum.Dir, "khao-sat.db"), s.Period)
	n := lv[1] + lv[2] + lv[3] + lv[4] + lv[5]
	very, satisfied, notYet := ratings.Shares(lv[1], lv[2], lv[3]+lv[4]+lv[5])
	if !mr.Sent || mr.Period != s.Period || len(mr.Items) != 1 || sum.DVCQG["DongBoDanhGia"] != 1 || n == 0 {
		t.Fatalf("monthly ratings %+v, %d DongBoDanhGia calls, %d overall answers in %s: want one item sent for the statistics' month",
			mr, sum.DVCQG["DongBoDanhGia"], n, s.Period)
	}
	if it := mr.Items[0]; it.TongSoNguoiDanhGia != n || mr.Counted != n || it.PhanTramDanhGiaRatHaiLong != fmt.Sprintf("%d%%", very) ||
		it.PhanTramDanhGiaHaiLong != fmt.Sprintf("%d%%", satisfied) || it.PhanTramDanhGiaChuaHaiLong != fmt.Sprintf("%d%%", notYet) {
		t.Errorf("DongBoDanhGia item %+v (counted %d), want %d answers with levels %v", it, mr.Counted, n, lv)
	}
	if in := sum.Inbound; in.Lookups != 1 || in.Downloads != 1 || in.DownloadBytes == 0 || sum.SampleFiles == 0 {
		t.Errorf("inbound %+v with %d sample files: want one lookup and one download", in, sum.SampleFiles)
	}
}

// overallLevels counts the survey's answers to the overall question (CH00)
// given in month (YYYY-MM) by level, one per ma_phieu (a kiosk's re-sent
// copy counts once).
func overallLevels(t *testing.T, path, month string) [6]int {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+filepath.ToSlash(path)+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(`SELECT muc_do, COUNT(DISTINCT ma_phieu) FROM dg_phieu
		WHERE ma_cau_hoi = 'CH00' AND SUBSTR(thoi_diem, 1, 7) = ? GROUP BY muc_do`, month)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out [6]int
	for rows.Next() {
		var level, n int
		if err := rows.Scan(&level, &n); err != nil {
			t.Fatal(err)
		}
		if level < 1 || level > 5 {
			t.Fatalf("an overall answer with level %d", level)
		}
		out[level] = n
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// busiestMonth counts the sample's receipts per month, YYYY-MM.
func busiestMonth(t *testing.T, path string) string {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+filepath.ToSlash(path)+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(`SELECT ngay_nhan FROM hs_hoso`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	per := map[string]int{}
	for rows.Next() {
		var v sql.NullString
		if err := rows.Scan(&v); err != nil {
			t.Fatal(err)
		}
		if at, err := time.Parse("2006-01-02 15:04:05", v.String); err == nil {
			per[at.Format("2006-01")]++
		}
	}
	best := ""
	for m, n := range per {
		if best == "" || n > per[best] || (n == per[best] && m < best) {
			best = m
		}
	}
	return best
}

// TestRunTwiceInOneDir: running the demo again in the same working
// directory starts from a fresh database and outbox, so the figures are
// those of one run, not an accumulation.
func TestRunTwiceInOneDir(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	dir := t.TempDir()
	for i, bad := range []int{2, 5} {
		sum, err := demo.Run(ctx, demo.Options{Dir: dir, Dossiers: 20, BadRows: bad, Ratings: 30, ErrorRate: 0.1, ThrottleRate: 0.05})
		if err != nil {
			t.Fatalf("run %d: %v", i+1, err)
		}
		// 30 answers, and with bad rows one unknown officer, one unknown
		// question and one kiosk re-send (surveyOptions: 30/50, 30/60 and
		// 30/20, at least one each).
		r := sum.Ratings
		if r.SampleRows != 33 || r.Read != 33 || r.Delivered != 30 || r.SampleRatings+r.SampleResends+r.SampleUnmappable != 33 ||
			r.Quarantined != r.SampleUnmappable || r.DuplicatesDropped != int64(r.SampleResends) {
			t.Errorf("run %d: ratings %+v: want 33 rows read, 30 delivered, the unmappable ones quarantined, the re-sends dropped", i+1, r)
		}
		good := int64(20 + sum.Steps + 30)
		read := good + int64(bad) + int64(r.SampleResends+r.SampleUnmappable)
		if sum.Read != read || sum.Delivered != good || sum.Quarantined != int64(bad+r.Quarantined) || sum.DuplicatesDropped != r.DuplicatesDropped {
			t.Errorf("run %d: %+v, want %d delivered, %d quarantined and %d duplicates of %d read", i+1, sum.Totals, good, bad+r.Quarantined, r.DuplicatesDropped, read)
		}
		if sum.Dir != dir {
			t.Errorf("run %d worked in %s, want %s", i+1, sum.Dir, dir)
		}
		checkPortal(t, sum, bad)
	}
}

// TestRenderConfigDefaults: unset tuning parameters get the demo's
// defaults, set ones are used, and the result is a valid configuration.
func TestRenderConfigDefaults(t *testing.T) {
	base := demo.ConfigParams{Driver: "sqlite", LegacyDSN: "file:legacy.db?mode=ro", LGSPURL: "http://127.0.0.1:1",
		ClientSecret: "s", CertFile: "c.pem", KeyFile: "k.pem", StorePath: "o.db"}
	tests := []struct {
		name    string
		lag     string
		workers int
		lease   string
		wantLag string
		wantW   int
		wantL   time.Duration
	}{
		{"defaults", "", 0, "", "lag: 0s", 8, time.Minute},
		{"set", "30s", 16, "10s", "lag: 30s", 16, 10 * time.Second},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := base
			p.Lag, p.Workers, p.Lease = tc.lag, tc.workers, tc.lease
			yaml, err := demo.RenderConfig(p)
			if err != nil {
				t.Fatal(err)
			}
			if n := strings.Count(string(yaml), tc.wantLag+"\n"); n != 2 {
				t.Errorf("%q appears %d times, want once per stream", tc.wantLag, n)
			}
			cfg, err := config.LoadBytes(yaml, t.TempDir(), config.LoadOptions{SkipFileChecks: true, IgnoreEnv: true})
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Delivery.Workers != tc.wantW || cfg.Delivery.Lease != tc.wantL {
				t.Errorf("workers %d, lease %s: want %d, %s", cfg.Delivery.Workers, cfg.Delivery.Lease, tc.wantW, tc.wantL)
			}
			if cfg.LGSP.BaseURL != base.LGSPURL || cfg.LGSP.ClientSecret.Reveal() != base.ClientSecret || cfg.Store.Path == "" {
				t.Errorf("template fields not filled in: base_url %q, store %q", cfg.LGSP.BaseURL, cfg.Store.Path)
			}
		})
	}
}

// TestRenderPortalConfig: with Portal set, the template renders the
// national portal connector — profile dvcqg without signing, the portal
// account, every city catalog and the portal catalogues the mapping uses,
// the inbound API with its file store — and the result is a valid
// configuration; without it, none of that appears.
func TestRenderPortalConfig(t *testing.T) {
	base := demo.ConfigParams{Driver: "sqlite", LegacyDSN: "file:legacy.db?mode=ro", LGSPURL: "http://127.0.0.1:1",
		ClientSecret: "s", CertFile: "c.pem", KeyFile: "k.pem", StorePath: "o.db"}
	portal := base
	portal.Portal = &demo.PortalParams{
		Username: "portal-user", Password: "portal-password", CityCatalogs: map[string]string{"units": "/u", "procedures": "/p"},
		Listen: "127.0.0.1:8443", PublicBaseURL: "http://127.0.0.1:8443", BearerToken: strings.Repeat("t", 20),
		LinkSecret: strings.Repeat("s", 40), FilesRoot: filepath.Join(t.TempDir(), "files"),
	}
	tests := []struct {
		name        string
		params      demo.ConfigParams
		wantProfile string
		wantPortal  bool
	}{
		{"city", base, "hcm-lgsp", false},
		{"portal", portal, "dvcqg", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			yaml, err := demo.RenderConfig(tc.params)
			if err != nil {
				t.Fatal(err)
			}
			cfg, err := config.LoadBytes(yaml, t.TempDir(), config.LoadOptions{SkipFileChecks: true, IgnoreEnv: true})
			if err != nil {
				t.Fatalf("%v\n%s", err, yaml)
			}
			if cfg.LGSP.Profile != tc.wantProfile || cfg.DVCQG.Enabled != tc.wantPortal || cfg.Inbound.Enabled != tc.wantPortal ||
				(cfg.Catalogs != nil) != tc.wantPortal || cfg.Statistics.Enabled != tc.wantPortal {
				t.Fatalf("profile %s, dvcqg %v, inbound %v, catalogs %v, statistics %v", cfg.LGSP.Profile, cfg.DVCQG.Enabled, cfg.Inbound.Enabled, cfg.Catalogs != nil, cfg.Statistics.Enabled)
			}
			if !tc.wantPortal {
				if cfg.Signing.CertFile == "" {
					t.Error("the city connector signs: signing.cert_file is empty")
				}
				return
			}
			p := tc.params.Portal
			if cfg.DVCQG.Username != p.Username || cfg.DVCQG.Password.Reveal() != p.Password || cfg.Signing.CertFile != "" {
				t.Errorf("dvcqg account %q, signing %q: want the portal account and no signing", cfg.DVCQG.Username, cfg.Signing.CertFile)
			}
			want := []string{"procedures", "units", "LayDanhMucCoQuan", "LayDanhMucLinhVuc", "LayDanhSachTTHC", "LayThuTuc"}
			if !slices.Equal(cfg.Catalogs.Refresh, want) || cfg.Catalogs.City["units"] != "/u" {
				t.Errorf("catalogs refresh %v, city %v: want %v", cfg.Catalogs.Refresh, cfg.Catalogs.City, want)
			}
			for _, used := range cfg.Mapping.CatalogsUsed() {
				if !slices.Contains(want, used) {
					t.Errorf("the mapping uses catalog %s, which is not refreshed", used)
				}
			}
			if in := cfg.Inbound; in.Listen != p.Listen || in.PublicBaseURL != p.PublicBaseURL || len(in.BearerTokens) != 1 || in.BearerTokens[0].Reveal() != p.BearerToken {
				t.Errorf("inbound %+v: want the given address and token", in)
			}
		})
	}
}
