package app_test

import (
	"bytes"
	"context"
	"crypto/x509"
	"database/sql"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hcmc-lgsp/lgsp-connector/internal/app"
	"github.com/hcmc-lgsp/lgsp-connector/internal/config"
	"github.com/hcmc-lgsp/lgsp-connector/internal/demo"
	"github.com/hcmc-lgsp/lgsp-connector/internal/outbox"
	"github.com/hcmc-lgsp/lgsp-connector/internal/sampledata"
	"github.com/hcmc-lgsp/lgsp-connector/internal/sandbox"
	"github.com/hcmc-lgsp/lgsp-connector/internal/testdb"
	"github.com/hcmc-lgsp/lgsp-connector/packets"
	"github.com/hcmc-lgsp/lgsp-connector/signing"
	"github.com/hcmc-lgsp/lgsp-connector/stats"
)

// surveyForm is what the survey database says about one ma_phieu: the
// first row that carried it and what the mapping must make of it.
type surveyForm struct {
	firstID       int64
	canBo, cauHoi string
	rows          int
}

// TestEndToEndRatingsMariaDB: a unit's one-stop database and its
// satisfaction survey's database, two MariaDB databases, read by one
// connector (source: and sources.khao_sat, the demo's configuration) that
// signs and delivers to a sandbox trusting its certificate and injecting
// 5xx and a few 429 (each 429 pauses delivery for its Retry-After, so
// many would only make the test slow). The survey holds 5,000 rows:
// answers about the one-stop dossiers, answers with an officer or a
// question the code tables do not know, and kiosk re-sends. Every
// mappable answer must reach the sandbox exactly once, translated; every
// re-send of one must be dropped as a duplicate; every unmappable row must
// be quarantined naming the field and the code table; nothing may be left
// pending.
func TestEndToEndRatingsMariaDB(t *testing.T) {
	ctx := context.Background()
	started := time.Now()

	// The one-stop database.
	legacyDSN, legacy := testdb.MariaDB(t)
	if err := sampledata.CreateSchema(ctx, legacy, sampledata.MySQL); err != nil {
		t.Fatal(err)
	}
	oneStop := sampledata.Options{Seed: 21, Dossiers: 300, MaxStepsPerDossier: 2}
	gen, err := sampledata.Generate(ctx, legacy, sampledata.MySQL, oneStop)
	if err != nil {
		t.Fatal(err)
	}

	// The survey vendor's database: 4,800 good answers, 70 with an
	// unknown officer, 50 with an unknown question, 80 re-sends: 5,000.
	surveyDSN, survey := testdb.MariaDB(t)
	if err := sampledata.CreateSurveySchema(ctx, survey, sampledata.MySQL); err != nil {
		t.Fatal(err)
	}
	st, err := sampledata.GenerateSurvey(ctx, survey, sampledata.MySQL, sampledata.SurveyOptions{
		Seed: 21, Ratings: 4800, UnmappedOfficers: 70, UnmappedCriteria: 50, Resends: 80,
		Dossiers: sampledata.DossierRefs(oneStop),
	})
	if err != nil {
		t.Fatal(err)
	}
	if st.Rows != 5000 || st.Resent == 0 || st.ResentUnmapped == 0 {
		t.Fatalf("survey sample %+v: want 5,000 rows with re-sends of both good and unmappable answers", st)
	}
	forms := readSurveyForms(t, survey)

	dir := t.TempDir()
	certFile, keyFile, cert := writeSigningPair(t, dir, "e2e ratings unit")
	verifier, err := signing.NewVerifier([]*x509.Certificate{cert})
	if err != nil {
		t.Fatal(err)
	}
	sb, err := sandbox.New(sandbox.Options{
		ClientID: "lgsp-connector-demo", ClientSecret: "e2e-secret", Verify: verifier.VerifyBytes, Seed: 21,
		ErrorRate: 0.05, ThrottleRate: 0.005, RetryAfter: 200 * time.Millisecond,
	})
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

	yaml, err := demo.RenderConfig(demo.ConfigParams{
		Driver: "mysql", LegacyDSN: legacyDSN, LGSPURL: "http://" + ln.Addr().String(), ClientSecret: "e2e-secret",
		CertFile: certFile, KeyFile: keyFile, StorePath: filepath.Join(dir, "outbox.db"), Workers: 16, Lease: "10s",
		SurveyDriver: "mysql", SurveyDSN: surveyDSN,
	})
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := config.LoadBytes(yaml, dir, config.LoadOptions{IgnoreEnv: true})
	if err != nil {
		t.Fatal(err)
	}
	a, err := app.Build(ctx, cfg, app.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close(context.Background())
	dctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	if err := a.Pipeline.Drain(dctx, 50*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	tot := a.Pipeline.Totals()
	sbStats := sb.Stats()
	t.Logf("e2e ratings: %d survey rows + %d dossiers and %d steps in %s; totals %+v; sandbox %+v",
		st.Rows, gen.Dossiers, gen.Steps, time.Since(started).Round(time.Millisecond), tot, sbStats)

	// Both sources were read to the end and everything settled.
	quarantined := st.UnmappedOfficer + st.UnmappedCriterion
	oneStopRows := gen.Dossiers + gen.Steps
	if tot.Read != int64(st.Rows+oneStopRows) || tot.Queued != int64(st.Ratings+oneStopRows) || tot.Delivered != tot.Queued ||
		tot.Quarantined != int64(quarantined) || tot.DuplicatesDropped != int64(st.Resent) || tot.Failed != 0 {
		t.Errorf("totals %+v: want %d read, %d queued and delivered, %d quarantined, %d duplicates dropped (the re-sends of good answers), none failed",
			tot, st.Rows+oneStopRows, st.Ratings+oneStopRows, quarantined, st.Resent)
	}
	c, err := a.Store.Counts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if c.Pending != 0 || c.InFlight != 0 || c.Dead != 0 || c.Quarantined != quarantined {
		t.Errorf("outbox not settled: %+v; want nothing pending, in flight or dead, %d quarantined", c, quarantined)
	}

	// The sandbox holds every mappable answer once, under one message ID,
	// translated; all signatures verified (the sandbox refuses others).
	if sbStats.Rejected != 0 || sbStats.InvalidSignature != 0 || sbStats.Injected5xx == 0 {
		t.Errorf("sandbox %+v: want no rejection, no invalid signature, and injected faults", sbStats)
	}
	if sbStats.ByKind["DanhGia"] != st.Ratings || sbStats.ByKind["HoSo"] != gen.Dossiers || sbStats.ByKind["TienDoXuLy"] != gen.Steps {
		t.Errorf("sandbox holds %v: want %d DanhGia, %d HoSo, %d TienDoXuLy", sbStats.ByKind, st.Ratings, gen.Dossiers, gen.Steps)
	}
	officers := map[string]string{}
	for _, o := range sampledata.SurveyOfficers {
		officers[o.Vendor] = o.Code
	}
	criteria := map[string]string{}
	for _, q := range sampledata.SurveyQuestions {
		criteria[q.Code] = q.Criterion
	}
	profile, err := packets.ProfileByName("hcm-lgsp")
	if err != nil {
		t.Fatal(err)
	}
	received := map[string]string{} // MaPhieu → message ID
	checked := 0
	for _, p := range sb.Accepted() {
		if p.Kind != "DanhGia" {
			continue
		}
		pkt, err := profile.Decode(p.Body)
		if err != nil || pkt.Rating == nil {
			t.Fatalf("rating %s does not decode: %v", p.MessageID, err)
		}
		r := pkt.Rating
		if id, dup := received[r.MaPhieu]; dup {
			t.Errorf("form %s accepted under two message IDs, %s and %s", r.MaPhieu, id, p.MessageID)
		}
		received[r.MaPhieu] = p.MessageID
		f, ok := forms[r.MaPhieu]
		switch {
		case !ok:
			t.Errorf("rating %s is no form of the survey", r.MaPhieu)
		case officers[f.canBo] != r.MaCanBo || criteria[f.cauHoi] != r.MaTieuChi || r.MaDonVi != "000.00.12.H29":
			t.Errorf("form %s (officer %q, question %q) arrived with MaCanBo %q, MaTieuChi %q, MaDonVi %q",
				r.MaPhieu, f.canBo, f.cauHoi, r.MaCanBo, r.MaTieuChi, r.MaDonVi)
		}
		// An independent check of a few signatures, and that the check
		// can fail.
		if checked < 3 {
			checked++
			if err := verifier.VerifyBytes(p.Body); err != nil {
				t.Errorf("rating %s: signature does not verify: %v", r.MaPhieu, err)
			}
			tampered := bytes.Replace(p.Body, []byte("<MaPhieu>"+r.MaPhieu), []byte("<MaPhieu>X"+r.MaPhieu), 1)
			if verifier.VerifyBytes(tampered) == nil {
				t.Errorf("rating %s with a changed MaPhieu still verifies", r.MaPhieu)
			}
		}
	}
	good := 0
	for id, f := range forms {
		if _, bad := st.BadReasons[f.firstID]; bad {
			if _, sent := received[id]; sent {
				t.Errorf("unmappable form %s reached the sandbox", id)
			}
			continue
		}
		good++
		if _, sent := received[id]; !sent {
			t.Errorf("form %s (first row %d, %d rows) never reached the sandbox", id, f.firstID, f.rows)
		}
	}
	if good != st.Ratings || len(received) != st.Ratings {
		t.Errorf("%d mappable forms in the survey, %d reached the sandbox; the generator says %d", good, len(received), st.Ratings)
	}

	// Every unmappable row quarantined, naming the field and its table.
	q, err := a.Store.Quarantine(ctx, outbox.Filter{Stream: demo.RatingStream, Limit: outbox.MaxQueryLimit})
	if err != nil {
		t.Fatal(err)
	}
	if len(q) != quarantined {
		t.Errorf("%d survey rows quarantined, want %d", len(q), quarantined)
	}
	tables := map[string]string{"MaCanBo": `code table "can_bo_khao_sat"`, "MaTieuChi": `code table "cau_hoi_khao_sat"`}
	for _, e := range q {
		id, _ := strconv.ParseInt(e.RecordKey, 10, 64)
		want, ok := st.BadReasons[id]
		if !ok {
			t.Errorf("good survey row %s quarantined: %s %q: %s", e.RecordKey, e.Field, e.Value, e.Reason)
			continue
		}
		if e.Field != want || !strings.Contains(e.Reason, tables[want]) {
			t.Errorf("survey row %s quarantined for %s (%s), want field %s and a reason naming the %s", e.RecordKey, e.Field, e.Reason, want, tables[want])
		}
	}

	t.Run("monthly summary matches a hand-computed month", func(t *testing.T) {
		checkMonthlySummary(t, yaml, dir, survey)
	})
}

// checkMonthlySummary computes the DongBoDanhGia summary of March 2027 on
// the MariaDB survey database through the connector's own reading path
// (the source's period read, the mapping, identity), after adding a month
// worked out by hand — every generated answer is older.
//
// Overall question (CH00), mapped officer, in March 2027:
//
//	F1 level 1 at 03-01 00:00:00 (the month's first second)
//	F2 level 1, F3 level 1, F4 level 2, F5 level 2
//	F6 level 4 and F7 level 5 (with reasons; F7 at 03-31 23:59:59)
//	F2 again, re-sent by the kiosk a day later: one answer, not two
//	G1 level 1 by an officer the code table lacks: not counted
//	H1 level 1 at 04-01 00:00:00: April, not counted
//
// 7 answers: very satisfied 3/7 = 42.86 % → 43 %, satisfied 2/7 =
// 28.57 % → 29 %, not satisfied (levels 3–5) 100 − 43 − 29 = 28 %.
func checkMonthlySummary(t *testing.T, cfgYAML []byte, dir string, survey *sql.DB) {
	t.Helper()
	ctx := context.Background()
	officer := sampledata.SurveyOfficers[0].Vendor
	rows := []struct {
		id, phieu, canBo string
		level            int
		reason, at       string
	}{
		{"900001", "F1", officer, 1, "", "2027-03-01 00:00:00"},
		{"900002", "F2", officer, 1, "", "2027-03-05 09:00:00"},
		{"900003", "F3", officer, 1, "", "2027-03-06 09:00:00"},
		{"900004", "F4", officer, 2, "", "2027-03-07 09:00:00"},
		{"900005", "F5", officer, 2, "", "2027-03-08 09:00:00"},
		{"900006", "F6", officer, 4, "Phải đi lại nhiều lần", "2027-03-09 09:00:00"},
		{"900007", "F7", officer, 5, "Cán bộ hướng dẫn không rõ", "2027-03-31 23:59:59"},
		{"900008", "F2", officer, 1, "", "2027-03-05 09:00:00"},
		{"900009", "G1", "NV_KHONG_CO", 1, "", "2027-03-10 09:00:00"},
		{"900010", "H1", officer, 1, "", "2027-04-01 00:00:00"},
	}
	for i, r := range rows {
		var reason any
		if r.reason != "" {
			reason = r.reason
		}
		updated := time.Date(2027, 4, 2, 8, 0, i, 0, time.UTC).Format(time.DateTime)
		if _, err := survey.ExecContext(ctx, `INSERT INTO dg_phieu
			(id, ma_phieu, so_ho_so, ma_can_bo, ma_cau_hoi, muc_do, diem, ly_do, kenh, thoi_diem, ngay_cap_nhat)
			VALUES (?, ?, NULL, ?, 'CH00', ?, NULL, ?, 'KIOSK', ?, ?)`,
			r.id, "HAND-"+r.phieu, r.canBo, r.level, reason, r.at, updated); err != nil {
			t.Fatal(err)
		}
	}
	// The same configuration, with the answers readable by month and the
	// ratings section the portal connector has.
	yaml := strings.Replace(string(cfgYAML), "          FROM dg_phieu\n", "          FROM dg_phieu\n        statistics: {received: thoi_diem, finished: thoi_diem}\n", 1)
	if yaml == string(cfgYAML) {
		t.Fatal("fixture: the survey stream's query was not found in the demo configuration")
	}
	yaml += "\nratings:\n  stream: danh_gia\n  questions:\n    \"\": \"Mức độ hài lòng chung\"\n"
	cfg, err := config.LoadBytes([]byte(yaml), dir, config.LoadOptions{IgnoreEnv: true})
	if err != nil {
		t.Fatal(err)
	}
	loc, err := time.LoadLocation("Asia/Ho_Chi_Minh")
	if err != nil {
		t.Fatal(err)
	}
	sum, err := app.ComputeRatingsSummary(ctx, cfg, stats.MonthPeriod(2027, time.March, loc),
		app.RatingsOptions{Ratings: cfg.Ratings, Statistics: cfg.Statistics})
	if err != nil {
		t.Fatal(err)
	}
	items, err := app.SummaryItems(sum.Result)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"NgayTongHop":"3-2027","TongSoNguoiDanhGia":7,"PhanTramDanhGiaRatHaiLong":"43%","PhanTramDanhGiaHaiLong":"29%","PhanTramDanhGiaChuaHaiLong":"28%",` +
		`"PhanTramDanhGiaDichVuRatHaiLong":"43%","PhanTramDanhGiaDichVuHaiLong":"29%","PhanTramDanhGiaDichVuChuaHaiLong":"28%","DanhSachNoiDungYKien":"","MaThuTuc":"",` +
		`"NoiDung":"Mức độ hài lòng chung","Madonvi":"000.00.12.H29","TenDonVi":"UBND phường Sài Gòn"}`
	if len(items) != 1 || string(items[0]) != want {
		t.Errorf("March 2027 summary on MariaDB:\n got %s\nwant %s", items, want)
	}
	if sum.Answers.Read != 9 {
		t.Errorf("answers read for March 2027: %+v, want the 9 rows dated in March (F1–F7, F2's copy, G1)", sum.Answers)
	}
}

// readSurveyForms reads the survey table: per ma_phieu its first row, the
// vendor's officer and question, and how many rows carry it.
func readSurveyForms(t *testing.T, db *sql.DB) map[string]*surveyForm {
	t.Helper()
	rows, err := db.Query(`SELECT id, ma_phieu, COALESCE(ma_can_bo, ''), ma_cau_hoi FROM dg_phieu ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	forms := map[string]*surveyForm{}
	for rows.Next() {
		var (
			id                     int64
			maPhieu, canBo, cauHoi string
		)
		if err := rows.Scan(&id, &maPhieu, &canBo, &cauHoi); err != nil {
			t.Fatal(err)
		}
		f := forms[maPhieu]
		if f == nil {
			f = &surveyForm{firstID: id, canBo: canBo, cauHoi: cauHoi}
			forms[maPhieu] = f
		}
		f.rows++
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return forms
}

// writeSigningPair generates a self-signed RSA key and certificate valid
// for a day and writes them into dir as PEM, for a connector under test.
func writeSigningPair(t *testing.T, dir, cn string) (certFile, keyFile string, cert *x509.Certificate) {
	t.Helper()
	key, cert, err := signing.GenerateSelfSigned(cn, 24*time.Hour, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	keyPEM, err := signing.EncodeKeyPEM(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, signing.EncodeCertPEM(cert), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, keyPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile, cert
}
