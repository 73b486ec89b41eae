package sampledata_test

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/hcmc-lgsp/lgsp-connector/internal/sampledata"
	"github.com/hcmc-lgsp/lgsp-connector/internal/testdb"

	_ "modernc.org/sqlite"
)

var ict = time.FixedZone("ICT", 7*3600)

// DossierRefs worked by hand for 3 good dossiers and 1 bad over one day
// from 07:30: receipts at 0, 6, 12 and 18 hours (spreadOver), 19:30 moved
// into office hours at 08:30 (7 + 19 mod 9), the 4th row (01:30 the next
// day) is the bad one and left out. Daily numbers follow the row order,
// not the clock.
func TestDossierRefsByHand(t *testing.T) {
	got := sampledata.DossierRefs(sampledata.Options{Dossiers: 3, BadRows: 1, Days: 1, Start: time.Date(2026, 9, 1, 7, 30, 0, 0, ict)})
	want := []sampledata.DossierRef{
		{ID: 1, MaHoSo: "000.00.12.H29-260901-0001", Received: time.Date(2026, 9, 1, 7, 30, 0, 0, ict)},
		{ID: 2, MaHoSo: "000.00.12.H29-260901-0002", Received: time.Date(2026, 9, 1, 13, 30, 0, 0, ict)},
		{ID: 3, MaHoSo: "000.00.12.H29-260901-0003", Received: time.Date(2026, 9, 1, 8, 30, 0, 0, ict)},
	}
	if len(got) != len(want) {
		t.Fatalf("DossierRefs = %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i].ID != want[i].ID || got[i].MaHoSo != want[i].MaHoSo || !got[i].Received.Equal(want[i].Received) {
			t.Errorf("dossier %d = %+v, want %+v", i, got[i], want[i])
		}
	}
}

func openSQLite(t *testing.T) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(t.TempDir(), "sample.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// DossierRefs gives exactly the good dossiers Generate writes, codes and
// receipt times, whatever the options: ratings generated from it are
// about dossiers that exist.
func TestDossierRefsMatchGenerate(t *testing.T) {
	ctx := context.Background()
	for _, o := range []sampledata.Options{
		{Seed: 1, Dossiers: 300, BadRows: 21},
		{Seed: 9, Dossiers: 150, BadRows: 0, Days: 3, UnitCode: "000.00.31.H29", Start: time.Date(2025, 12, 30, 7, 30, 0, 0, ict)},
		{Seed: 4, Dossiers: 40, BadRows: 17, Days: 500},
	} {
		t.Run(fmt.Sprintf("%d+%d", o.Dossiers, o.BadRows), func(t *testing.T) {
			db := openSQLite(t)
			if err := sampledata.CreateSchema(ctx, db, sampledata.SQLite); err != nil {
				t.Fatal(err)
			}
			gen, err := sampledata.Generate(ctx, db, sampledata.SQLite, o)
			if err != nil {
				t.Fatal(err)
			}
			refs := sampledata.DossierRefs(o)
			if len(refs) != gen.Dossiers {
				t.Fatalf("%d refs, Generate wrote %d good dossiers", len(refs), gen.Dossiers)
			}
			for _, r := range refs {
				if _, bad := gen.BadReasons[r.ID]; bad {
					t.Errorf("ref %d is a bad dossier", r.ID)
				}
				var code, received string
				if err := db.QueryRow(`SELECT so_ho_so, ngay_nhan FROM hs_hoso WHERE id = ?`, r.ID).Scan(&code, &received); err != nil {
					t.Fatal(err)
				}
				if code != r.MaHoSo || received != r.Received.Format("2006-01-02 15:04:05") {
					t.Errorf("dossier %d is %s received %s; DossierRefs says %s at %s", r.ID, code, received, r.MaHoSo, r.Received)
				}
			}
		})
	}
}

// surveyRow is a dg_phieu row read back.
type surveyRow struct {
	id                    int64
	maPhieu, cauHoi, kenh string
	soHoSo, canBo, lyDo   sql.NullString
	mucDo, diem           sql.NullInt64
	thoiDiem, capNhat     string
}

func readSurvey(t *testing.T, db *sql.DB) []surveyRow {
	t.Helper()
	rows, err := db.Query(`SELECT id, ma_phieu, so_ho_so, ma_can_bo, ma_cau_hoi, muc_do, diem, ly_do, kenh, thoi_diem, ngay_cap_nhat FROM dg_phieu ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []surveyRow
	for rows.Next() {
		var r surveyRow
		if err := rows.Scan(&r.id, &r.maPhieu, &r.soHoSo, &r.canBo, &r.cauHoi, &r.mucDo, &r.diem, &r.lyDo, &r.kenh, &r.thoiDiem, &r.capNhat); err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func surveyDigest(rows []surveyRow) string {
	h := sha256.New()
	for _, r := range rows {
		fmt.Fprintf(h, "%+v\n", r)
	}
	return hex.EncodeToString(h.Sum(nil))
}

func writeSurvey(t *testing.T, o sampledata.SurveyOptions) ([]surveyRow, sampledata.SurveyStats) {
	t.Helper()
	ctx := context.Background()
	db := openSQLite(t)
	if err := sampledata.CreateSurveySchema(ctx, db, sampledata.SQLite); err != nil {
		t.Fatal(err)
	}
	st, err := sampledata.GenerateSurvey(ctx, db, sampledata.SQLite, o)
	if err != nil {
		t.Fatal(err)
	}
	return readSurvey(t, db), st
}

func surveyOptions(seed uint64) sampledata.SurveyOptions {
	return sampledata.SurveyOptions{
		Seed: seed, Ratings: 400, UnmappedOfficers: 9, UnmappedCriteria: 7, Resends: 30,
		Dossiers: sampledata.DossierRefs(sampledata.Options{Dossiers: 200, BadRows: 10}),
	}
}

// The same options give the same rows, byte for byte, and the same
// statistics; another seed gives other rows with the same counts.
func TestGenerateSurveyIsDeterministic(t *testing.T) {
	a, sa := writeSurvey(t, surveyOptions(3))
	b, sb := writeSurvey(t, surveyOptions(3))
	c, sc := writeSurvey(t, surveyOptions(4))
	if surveyDigest(a) != surveyDigest(b) {
		t.Error("two runs with seed 3 wrote different rows")
	}
	if !maps.Equal(sa.Answers, sb.Answers) || !maps.Equal(sa.BadReasons, sb.BadReasons) || sa.Resent != sb.Resent {
		t.Error("two runs with seed 3 report different statistics")
	}
	if surveyDigest(a) == surveyDigest(c) {
		t.Error("seeds 3 and 4 wrote the same rows")
	}
	if sc.Rows != sa.Rows || sc.Ratings != sa.Ratings || sc.UnmappedOfficer+sc.UnmappedCriterion != sa.UnmappedOfficer+sa.UnmappedCriterion+sc.ResentUnmapped-sa.ResentUnmapped {
		t.Errorf("seed 4 counts %+v differ from seed 3 %+v beyond the copies", sc, sa)
	}
}

// The statistics say exactly what the table holds, checked row by row
// against the rules of the sample: which rows a mapping of SurveyOfficers
// and SurveyQuestions rejects and why, which are copies, and how the good
// answers split by month, question and answer.
func TestGenerateSurveyCounts(t *testing.T) {
	o := surveyOptions(7)
	rows, st := writeSurvey(t, o)

	// The requested counts, exactly: 400 + 9 + 7 answers and 30 copies.
	if st.Rows != 446 || len(rows) != 446 || st.Ratings != 400 {
		t.Fatalf("%d rows (stats %d), %d ratings: want 446 and 400", len(rows), st.Rows, st.Ratings)
	}
	if st.Resent+st.ResentUnmapped != 30 || st.UnmappedOfficer+st.UnmappedCriterion != 16+st.ResentUnmapped {
		t.Fatalf("stats %+v: want 30 copies and 16 unmappable answers plus their copies", st)
	}
	if st.Rows != st.Ratings+st.Resent+st.UnmappedOfficer+st.UnmappedCriterion {
		t.Fatalf("stats %+v do not add up", st)
	}
	if st.Resent == 0 || st.ResentUnmapped == 0 {
		t.Errorf("copies: %d of good answers, %d of unmappable ones: seed 7 copies both kinds", st.Resent, st.ResentUnmapped)
	}

	officers := map[string]bool{}
	for _, o := range sampledata.SurveyOfficers {
		officers[o.Vendor] = true
	}
	questions := map[string]sampledata.SurveyQuestion{}
	for _, q := range sampledata.SurveyQuestions {
		questions[q.Code] = q
	}
	dossiers := map[string]time.Time{}
	for _, d := range o.Dossiers {
		dossiers[d.MaHoSo] = d.Received
	}
	first := map[string]surveyRow{}
	answers := map[sampledata.AnswerKey]int{}
	var resent, resentBad, badOfficer, badQuestion, about int
	prev := ""
	for _, r := range rows {
		if r.capNhat < prev {
			t.Errorf("row %d arrived at %s, before the row before it (%s): ids must follow arrival", r.id, r.capNhat, prev)
		}
		prev = r.capNhat
		q, knownQ := questions[r.cauHoi]
		knownOfficer := !r.canBo.Valid || officers[r.canBo.String]
		want := ""
		switch {
		case !knownOfficer:
			want = "MaCanBo"
		case !knownQ:
			want = "MaTieuChi"
		}
		if got := st.BadReasons[r.id]; got != want {
			t.Errorf("row %d (officer %v, question %s): BadReasons says %q, want %q", r.id, r.canBo, r.cauHoi, got, want)
		}
		if !knownOfficer && !knownQ {
			t.Errorf("row %d has two defects; each bad row must have one", r.id)
		}
		if r.mucDo.Valid == r.diem.Valid {
			t.Errorf("row %d: muc_do %v, diem %v: want exactly one", r.id, r.mucDo, r.diem)
		}
		if knownQ && q.Score != r.diem.Valid {
			t.Errorf("row %d answers %s with muc_do %v, diem %v", r.id, r.cauHoi, r.mucDo, r.diem)
		}
		if r.mucDo.Valid && (r.mucDo.Int64 < 1 || r.mucDo.Int64 > 5) || r.diem.Valid && (r.diem.Int64 < 0 || r.diem.Int64 > 2) {
			t.Errorf("row %d: muc_do %v, diem %v out of range", r.id, r.mucDo, r.diem)
		}
		if r.mucDo.Valid && r.mucDo.Int64 >= 4 && (!r.lyDo.Valid || strings.TrimSpace(r.lyDo.String) == "") {
			t.Errorf("row %d: level %d without a reason", r.id, r.mucDo.Int64)
		}
		if r.lyDo.Valid && (!utf8.ValidString(r.lyDo.String) || !strings.ContainsAny(r.lyDo.String, "àáảãạăâđèéêìíòóôơùúưỳýạặậẹệịọộợụựỵ")) {
			t.Errorf("row %d: reason %q is not Vietnamese text with diacritics", r.id, r.lyDo.String)
		}
		if !slices.Contains([]string{"KIOSK", "MOBILE", "WEB", "GIAY"}, r.kenh) {
			t.Errorf("row %d: channel %q", r.id, r.kenh)
		}
		answered, err := time.ParseInLocation("2006-01-02 15:04:05", r.thoiDiem, ict)
		if err != nil {
			t.Fatalf("row %d: thoi_diem %q: %v", r.id, r.thoiDiem, err)
		}
		if r.soHoSo.Valid {
			received, ok := dossiers[r.soHoSo.String]
			if !ok {
				t.Errorf("row %d rates %s, which is not a good dossier of the one-stop sample", r.id, r.soHoSo.String)
			} else if answered.Before(received) {
				t.Errorf("row %d: answered %s, before dossier %s was received (%s)", r.id, answered, r.soHoSo.String, received)
			}
		}
		if r.capNhat < r.thoiDiem {
			t.Errorf("row %d arrived at %s, before it was answered (%s)", r.id, r.capNhat, r.thoiDiem)
		}
		if f, dup := first[r.maPhieu]; dup {
			f.id, f.capNhat = r.id, r.capNhat
			if f != r {
				t.Errorf("row %d is a copy of %s with another answer: %+v, first %+v", r.id, r.maPhieu, r, first[r.maPhieu])
			}
			if want == "" {
				resent++
			} else {
				resentBad++
			}
		} else {
			first[r.maPhieu] = r
			if want == "" {
				answer := fmt.Sprint(r.mucDo.Int64)
				if r.diem.Valid {
					answer = fmt.Sprint(r.diem.Int64)
				}
				answers[sampledata.AnswerKey{Month: answered.Format("2006-01"), Question: r.cauHoi, Answer: answer}]++
				if r.soHoSo.Valid {
					about++
				}
			}
		}
		switch want {
		case "MaCanBo":
			badOfficer++
		case "MaTieuChi":
			badQuestion++
		}
	}
	if resent != st.Resent || resentBad != st.ResentUnmapped || badOfficer != st.UnmappedOfficer || badQuestion != st.UnmappedCriterion || about != st.AboutDossiers {
		t.Errorf("table: %d copies of good answers, %d of bad, %d bad officers, %d bad questions, %d about dossiers; stats %+v",
			resent, resentBad, badOfficer, badQuestion, about, st)
	}
	if len(first) != 416 {
		t.Errorf("%d distinct ma_phieu, want 416 answers", len(first))
	}
	if !maps.Equal(answers, st.Answers) {
		t.Errorf("answers in the table %v\ndiffer from the stats %v", answers, st.Answers)
	}
	// Every question and every level of the scale occurs in 400 answers.
	for _, q := range sampledata.SurveyQuestions {
		n, levels := 0, map[string]bool{}
		for k, c := range st.Answers {
			if k.Question == q.Code {
				n += c
				levels[k.Answer] = true
			}
		}
		if want := map[bool]int{false: 5, true: 3}[q.Score]; len(levels) != want || n == 0 {
			t.Errorf("question %s: %d answers over %d answer values, want all %d", q.Code, n, len(levels), want)
		}
	}
}

// Counts of zero are honoured, and impossible requests refused.
func TestGenerateSurveyEdges(t *testing.T) {
	rows, st := writeSurvey(t, sampledata.SurveyOptions{Seed: 1, Ratings: 25})
	if len(rows) != 25 || st.Resent != 0 || len(st.BadReasons) != 0 || st.AboutDossiers != 0 {
		t.Errorf("25 clean general answers: %d rows, stats %+v", len(rows), st)
	}
	for _, r := range rows {
		if r.soHoSo.Valid {
			t.Errorf("row %d rates dossier %s, but no dossier was given", r.id, r.soHoSo.String)
		}
	}
	ctx := context.Background()
	db := openSQLite(t)
	if err := sampledata.CreateSurveySchema(ctx, db, sampledata.SQLite); err != nil {
		t.Fatal(err)
	}
	for _, o := range []sampledata.SurveyOptions{{Resends: 3}, {Ratings: -1}, {Ratings: 1, UnmappedCriteria: -2}} {
		if _, err := sampledata.GenerateSurvey(ctx, db, sampledata.SQLite, o); err == nil {
			t.Errorf("GenerateSurvey(%+v) succeeded; want a refusal", o)
		}
	}
}

// The schema and the generator work on the servers survey vendors use:
// the same rows as on SQLite, dates in DATETIME/TIMESTAMP columns, and a
// row the vendor inserts afterwards gets the next id.
func TestGenerateSurveyOnServers(t *testing.T) {
	ctx := context.Background()
	o := sampledata.SurveyOptions{Seed: 5, Ratings: 120, UnmappedOfficers: 3, UnmappedCriteria: 2, Resends: 6,
		Dossiers: sampledata.DossierRefs(sampledata.Options{Dossiers: 50})}
	want, wantStats := writeSurvey(t, o)
	servers := []struct {
		name    string
		dialect sampledata.Dialect
		open    func(testing.TB) (string, *sql.DB)
		insert  string
	}{
		{"mariadb", sampledata.MySQL, testdb.MariaDB,
			`INSERT INTO dg_phieu (ma_phieu, ma_cau_hoi, muc_do, kenh, thoi_diem, ngay_cap_nhat) VALUES ('KS-NEW', 'CH00', 1, 'KIOSK', '2027-01-04 08:00:00', '2027-01-04 08:00:05')`},
		{"postgres", sampledata.Postgres, testdb.Postgres,
			`INSERT INTO dg_phieu (ma_phieu, ma_cau_hoi, muc_do, kenh, thoi_diem, ngay_cap_nhat) VALUES ('KS-NEW', 'CH00', 1, 'KIOSK', '2027-01-04 08:00:00', '2027-01-04 08:00:05')`},
	}
	for _, s := range servers {
		t.Run(s.name, func(t *testing.T) {
			_, db := s.open(t)
			if err := sampledata.CreateSurveySchema(ctx, db, s.dialect); err != nil {
				t.Fatal(err)
			}
			st, err := sampledata.GenerateSurvey(ctx, db, s.dialect, o)
			if err != nil {
				t.Fatal(err)
			}
			if !maps.Equal(st.BadReasons, wantStats.BadReasons) || !maps.Equal(st.Answers, wantStats.Answers) {
				t.Error("statistics differ from SQLite's")
			}
			got := readSurvey(t, db)
			for i := range got {
				// DATETIME/TIMESTAMP read back as text in each server's
				// own layout.
				got[i].thoiDiem = normaliseTime(t, got[i].thoiDiem)
				got[i].capNhat = normaliseTime(t, got[i].capNhat)
			}
			if surveyDigest(got) != surveyDigest(want) {
				for i := range min(len(got), len(want)) {
					if got[i] != want[i] {
						t.Fatalf("row %d on %s: %+v\nSQLite: %+v", i+1, s.name, got[i], want[i])
					}
				}
				t.Fatalf("%d rows on %s, %d on SQLite", len(got), s.name, len(want))
			}
			if _, err := db.ExecContext(ctx, s.insert); err != nil {
				t.Fatal(err)
			}
			var id int64
			if err := db.QueryRowContext(ctx, `SELECT id FROM dg_phieu WHERE ma_phieu = 'KS-NEW'`).Scan(&id); err != nil {
				t.Fatal(err)
			}
			if id != int64(len(want)+1) {
				t.Errorf("the vendor's next row got id %d, want %d", id, len(want)+1)
			}
		})
	}
}

// normaliseTime turns a server's text for a DATETIME or TIMESTAMP into
// the sample's layout.
func normaliseTime(t *testing.T, s string) string {
	t.Helper()
	for _, layout := range []string{"2006-01-02 15:04:05", time.RFC3339, "2006-01-02T15:04:05"} {
		if at, err := time.Parse(layout, s); err == nil {
			return at.Format("2006-01-02 15:04:05")
		}
	}
	t.Fatalf("time %q in no known layout", s)
	return ""
}
