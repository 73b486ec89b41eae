package demo_test

import (
	"context"
	"database/sql"
	"maps"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hcmc-lgsp/lgsp-connector/internal/config"
	"github.com/hcmc-lgsp/lgsp-connector/internal/demo"
	"github.com/hcmc-lgsp/lgsp-connector/internal/outbox"
	"github.com/hcmc-lgsp/lgsp-connector/internal/sampledata"
)

// surveyAnswer is a row of the demo's survey database and what the demo
// mapping must make of it.
type surveyAnswer struct {
	id                      int64
	maPhieu, canBo, cauHoi  string
	field                   string // the field the mapping rejects, or ""
	wantCanBo, wantCriteria string
}

// readSurveyAnswers reads the survey database the demo wrote and judges
// every row by the vendor lists of sampledata, independently of the
// generator's statistics.
func readSurveyAnswers(t *testing.T, path string) []surveyAnswer {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+filepath.ToSlash(path)+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	officers := map[string]string{}
	for _, o := range sampledata.SurveyOfficers {
		officers[o.Vendor] = o.Code
	}
	questions := map[string]string{}
	for _, q := range sampledata.SurveyQuestions {
		questions[q.Code] = q.Criterion
	}
	rows, err := db.Query(`SELECT id, ma_phieu, COALESCE(ma_can_bo, ''), ma_cau_hoi FROM dg_phieu ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []surveyAnswer
	for rows.Next() {
		var a surveyAnswer
		if err := rows.Scan(&a.id, &a.maPhieu, &a.canBo, &a.cauHoi); err != nil {
			t.Fatal(err)
		}
		code, knownOfficer := officers[a.canBo]
		criterion, knownQuestion := questions[a.cauHoi]
		switch {
		case a.canBo != "" && !knownOfficer:
			a.field = "MaCanBo"
		case !knownQuestion:
			a.field = "MaTieuChi"
		}
		a.wantCanBo, a.wantCriteria = code, criterion
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

var (
	maPhieuRE   = regexp.MustCompile(`<MaPhieu>([^<]*)</MaPhieu>`)
	maCanBoRE   = regexp.MustCompile(`<MaCanBo>([^<]*)</MaCanBo>`)
	maTieuChiRE = regexp.MustCompile(`<MaTieuChi>([^<]*)</MaTieuChi>`)
)

func element(re *regexp.Regexp, body []byte) string {
	if m := re.FindSubmatch(body); m != nil {
		return string(m[1])
	}
	return ""
}

// TestRunRatings: the city connector reads the survey database as its
// second source. 100 answers, and with bad rows 2 unknown officers, 1
// unknown question and 5 kiosk re-sends (surveyOptions: 100/50, 100/60,
// 100/20): 108 rows. Every mappable answer reaches the sandbox once, with
// the officer and the criterion translated; every re-send of one is
// dropped as a duplicate; every unmappable row is quarantined naming the
// field and the code table. The summary's figures are those found here.
func TestRunRatings(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	dir := t.TempDir()
	sum, err := demo.Run(ctx, demo.Options{Dir: dir, Dossiers: 50, BadRows: 5, Ratings: 100})
	if err != nil {
		t.Fatal(err)
	}
	answers := readSurveyAnswers(t, filepath.Join(dir, "khao-sat.db"))
	if len(answers) != 108 {
		t.Fatalf("survey database has %d rows, want 108", len(answers))
	}
	good := map[string]surveyAnswer{} // first mappable row per ma_phieu
	bad := map[int64]surveyAnswer{}
	byField := map[string]int{}
	dups := 0
	for _, a := range answers {
		switch {
		case a.field != "":
			bad[a.id] = a
			byField[a.field]++
		case good[a.maPhieu].id != 0:
			dups++
		default:
			good[a.maPhieu] = a
		}
	}
	if len(good) != 100 || dups+len(bad) != 8 || byField["MaCanBo"] < 2 || byField["MaTieuChi"] < 1 {
		t.Fatalf("survey database: %d mappable answers, %d copies of them, unmappable %v: want 100 and 8 more rows, at least 2 officers and 1 question unknown",
			len(good), dups, byField)
	}

	r := sum.Ratings
	want := demo.RatingsSummary{
		SampleRows: 108, SampleRatings: 100, SampleResends: dups, SampleUnmappable: len(bad),
		Read: 108, Queued: 100, Delivered: 100, Quarantined: len(bad), QuarantinedBy: byField, DuplicatesDropped: int64(dups), Sandbox: 100,
	}
	if !maps.Equal(r.QuarantinedBy, want.QuarantinedBy) {
		t.Errorf("quarantined by field %v, want %v", r.QuarantinedBy, want.QuarantinedBy)
	}
	r.QuarantinedBy, want.QuarantinedBy = nil, nil
	if !reflect.DeepEqual(r, want) {
		t.Errorf("ratings summary %+v\nwant %+v", r, want)
	}

	store, err := outbox.Open(ctx, outbox.Options{Path: filepath.Join(dir, "outbox.db")})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	q, err := store.Quarantine(ctx, outbox.Filter{Stream: demo.RatingStream, Limit: outbox.MaxQueryLimit})
	if err != nil {
		t.Fatal(err)
	}
	tables := map[string]string{"MaCanBo": `code table "can_bo_khao_sat"`, "MaTieuChi": `code table "cau_hoi_khao_sat"`}
	seen := map[int64]bool{}
	for _, e := range q {
		id, _ := strconv.ParseInt(e.RecordKey, 10, 64)
		a, ok := bad[id]
		if !ok {
			t.Errorf("row %s quarantined for %s (%s), but the mapping knows its officer and question", e.RecordKey, e.Field, e.Reason)
			continue
		}
		value := a.canBo
		if a.field == "MaTieuChi" {
			value = a.cauHoi
		}
		if e.Field != a.field || !strings.Contains(e.Value, value) || !strings.Contains(e.Reason, tables[a.field]) {
			t.Errorf("row %d quarantined for %s %q: %s; want field %s, value %q, reason naming the %s", id, e.Field, e.Value, e.Reason, a.field, value, tables[a.field])
		}
		seen[id] = true
	}
	if len(seen) != len(bad) {
		t.Errorf("%d of the %d unmappable rows quarantined", len(seen), len(bad))
	}

	delivered := map[string]bool{}
	err = store.Each(ctx, outbox.StateDelivered, func(p outbox.Packet) error {
		if p.Stream != demo.RatingStream {
			return nil
		}
		id := element(maPhieuRE, p.Body)
		a, ok := good[id]
		switch {
		case !ok:
			t.Errorf("delivered rating %q is no mappable answer of the survey", id)
		case delivered[id]:
			t.Errorf("rating %s delivered twice", id)
		case p.RecordKey != strconv.FormatInt(a.id, 10):
			t.Errorf("rating %s was built from row %s, want the first row %d", id, p.RecordKey, a.id)
		case element(maCanBoRE, p.Body) != a.wantCanBo || element(maTieuChiRE, p.Body) != a.wantCriteria:
			t.Errorf("rating %s has MaCanBo %q, MaTieuChi %q; want %q, %q", id, element(maCanBoRE, p.Body), element(maTieuChiRE, p.Body), a.wantCanBo, a.wantCriteria)
		}
		delivered[id] = true
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(delivered) != len(good) {
		t.Errorf("%d ratings delivered, want %d", len(delivered), len(good))
	}
}

// TestRenderSurveyConfig: with a survey database the city configuration
// reads it as sources.khao_sat, and its code tables are exactly the
// survey sample's vendor lists (every officer and indicator question
// known, the overall question listed as no criterion). The portal
// configuration reads the same stream for its monthly summary only
// (ratings:; never polled, the portal takes no single ratings); one
// without a survey has neither.
func TestRenderSurveyConfig(t *testing.T) {
	base := demo.ConfigParams{Driver: "sqlite", LegacyDSN: "file:legacy.db?mode=ro", LGSPURL: "http://127.0.0.1:1",
		ClientSecret: "s", CertFile: "c.pem", KeyFile: "k.pem", StorePath: "o.db"}
	survey := base
	survey.SurveyDriver, survey.SurveyDSN = "sqlite", "file:khao-sat.db?mode=ro"
	portal := survey
	portal.Portal = &demo.PortalParams{
		Username: "u", Password: "p", CityCatalogs: map[string]string{"units": "/u", "procedures": "/p"},
		Listen: "127.0.0.1:8443", PublicBaseURL: "http://127.0.0.1:8443", BearerToken: strings.Repeat("t", 20),
		LinkSecret: strings.Repeat("s", 40), FilesRoot: t.TempDir(),
	}
	for _, tc := range []struct {
		name   string
		params demo.ConfigParams
		survey bool
	}{{"without survey", base, false}, {"with survey", survey, true}, {"portal", portal, true}} {
		t.Run(tc.name, func(t *testing.T) {
			yaml, err := demo.RenderConfig(tc.params)
			if err != nil {
				t.Fatal(err)
			}
			cfg, err := config.LoadBytes(yaml, t.TempDir(), config.LoadOptions{SkipFileChecks: true, IgnoreEnv: true})
			if err != nil {
				t.Fatalf("%v\n%s", err, yaml)
			}
			_, hasSource := cfg.Sources["khao_sat"]
			_, hasStream := cfg.Mapping.Streams[demo.RatingStream]
			if hasSource != tc.survey || hasStream != tc.survey {
				t.Fatalf("sources.khao_sat %v, mapping of %s %v: want %v", hasSource, demo.RatingStream, hasStream, tc.survey)
			}
			if !tc.survey {
				return
			}
			if got, want := cfg.ReportOnly(demo.RatingStream), tc.params.Portal != nil; got != want {
				t.Errorf("stream %s read only for the summary: %v, want %v", demo.RatingStream, got, want)
			}
			if owner, ok := cfg.StreamSource(demo.RatingStream); !ok || owner.Path != "sources.khao_sat" {
				t.Errorf("stream %s served by %q, want sources.khao_sat", demo.RatingStream, owner.Path)
			}
			officers := map[string]string{}
			for _, o := range sampledata.SurveyOfficers {
				officers[o.Vendor] = o.Code
			}
			criteria := map[string]string{}
			for _, q := range sampledata.SurveyQuestions {
				if q.Criterion != "" {
					criteria[q.Code] = q.Criterion
				}
			}
			channels := map[string]string{}
			for _, c := range sampledata.SurveyChannels {
				channels[c.Vendor] = c.Code
			}
			for name, want := range map[string]map[string]string{"can_bo_khao_sat": officers, "cau_hoi_khao_sat": criteria, "kenh_danh_gia": channels} {
				if got := cfg.Mapping.CodeTables[name]; !maps.Equal(got, want) {
					t.Errorf("code table %s = %v, want the survey sample's %v", name, got, want)
				}
			}
			m := cfg.Mapping.Streams[demo.RatingStream]
			if !slices.Equal(m.Identity, []string{"MaPhieu"}) || m.Packet != "DanhGia" {
				t.Errorf("stream %s: packet %s, identity %v: want DanhGia identified by MaPhieu", demo.RatingStream, m.Packet, m.Identity)
			}
			if f := m.Fields["MaTieuChi"]; !slices.Equal(f.Nulls, []string{"CH00"}) || f.CodeTable != "cau_hoi_khao_sat" {
				t.Errorf("MaTieuChi %+v: want CH00 as no criterion and the question table", f)
			}
		})
	}
}
