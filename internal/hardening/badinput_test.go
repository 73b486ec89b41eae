package hardening_test

import (
	"context"
	"database/sql"
	"encoding/hex"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/hcmc-lgsp/lgsp-connector/internal/app"
	"github.com/hcmc-lgsp/lgsp-connector/internal/demo"
	"github.com/hcmc-lgsp/lgsp-connector/internal/outbox"
	"github.com/hcmc-lgsp/lgsp-connector/internal/sampledata"
	"github.com/hcmc-lgsp/lgsp-connector/internal/sandbox"
	"github.com/hcmc-lgsp/lgsp-connector/internal/testdb"
)

// Legacy names as desk PCs stored them before Unicode, produced with glibc
// iconv (-t TCVN5712-1 and -t CP1258) from the UTF-8 names beside them.
// None of them is valid UTF-8, which the test checks.
var legacyEncodedNames = []struct{ encoding, utf8, hex string }{
	{"TCVN3", "Nguyễn Văn Ánh", "4e677579d46e2056a86e20836e68"},
	{"TCVN3", "Trần Thị Hồng Nhung", "5472c76e205468de2048e56e67204e68756e67"},
	{"TCVN3", "Lê Đức Thọ", "4caa20a7f863205468e4"},
	{"TCVN3", "Đỗ Quốc Việt", "a7e7205175e863205669d674"},
	{"Windows-1258", "Nguyễn Văn Ánh", "4e677579eade6e2056e36e20c16e68"},
	{"Windows-1258", "Trần Thị Hồng Nhung", "5472e2cc6e20546869f22048f4cc6e67204e68756e67"},
	{"Windows-1258", "Lê Đức Thọ", "4cea20d0fdec632054686ff2"},
	{"Windows-1258", "Đỗ Quốc Việt", "d0f4de205175f4ec63205669eaf274"},
}

// legacyRow is one hs_hoso row as the test writes it, with the personal
// data it carries (to look for later) and the field its defect breaks.
type legacyRow struct {
	key      any // the id column: decimal text, garbage text or nil (NULL)
	cols     map[string]any
	childBad bool // give the dossier one document row with a broken flag
	kind     string
	field    string // "" for a control row that must be delivered

	name, idNo, phone, email string
	nameBytes                []byte // the stored name when it is not UTF-8
}

// hsHosoColumns are the sample schema's dossier columns in insert order
// (row_no, added by the test, fills itself).
var hsHosoColumns = []string{"id", "so_ho_so", "ma_thu_tuc", "ten_thu_tuc", "ma_linh_vuc", "ten_linh_vuc", "kenh_nop",
	"ho_ten_nguoi_nop", "so_giay_to", "loai_doi_tuong", "dien_thoai", "email", "trich_yeu", "ngay_nhan", "ngay_hen_tra",
	"ngay_ket_thuc", "ngay_tra_kq", "trang_thai", "tra_qua_buu_dien", "don_vi_xu_ly", "ngay_cap_nhat"}

const legacyLayout = "2006-01-02 15:04:05"

var (
	badFamily = []string{"Nguyễn", "Trần", "Lê", "Phạm", "Huỳnh", "Võ", "Đặng", "Bùi"}
	badMiddle = []string{"Văn", "Thị", "Minh", "Ngọc", "Quốc", "Thu"}
	badGiven  = []string{"Ánh", "Bình", "Cường", "Dũng", "Giang", "Hương", "Khoa", "Lộc", "Mỹ", "Nhàn", "Phước", "Quyên", "Sương"}
)

// badKinds are the defects, in rotation. Each keeps every other column of
// the row valid, so the quarantine must name exactly the field broken.
var badKinds = []struct {
	name, field string
	apply       func(r *legacyRow, i int)
}{
	{"control: no defect (must be delivered)", "", func(*legacyRow, int) {}},
	{"receipt date in d/m/Y with an impossible day", "NgayTiepNhan", func(r *legacyRow, _ int) { r.cols["ngay_nhan"] = "31/02/2026 08:00" }},
	{"receipt date 30 February", "NgayTiepNhan", func(r *legacyRow, _ int) { r.cols["ngay_nhan"] = "2026-02-30 08:00:00" }},
	{"receipt date NULL", "NgayTiepNhan", func(r *legacyRow, _ int) { r.cols["ngay_nhan"] = nil }},
	{"due date is words", "NgayHenTra", func(r *legacyRow, _ int) { r.cols["ngay_hen_tra"] = "chưa hẹn" }},
	{"unknown legacy status", "TrangThaiHoSo", func(r *legacyRow, _ int) { r.cols["trang_thai"] = "CHO_PHE_DUYET_CU" }},
	{"legacy status in another case", "TrangThaiHoSo", func(r *legacyRow, _ int) { r.cols["trang_thai"] = "da_tra_kq" }},
	{"status NULL", "TrangThaiHoSo", func(r *legacyRow, _ int) { r.cols["trang_thai"] = nil }},
	{"unknown channel", "KenhThucHien", func(r *legacyRow, _ int) { r.cols["kenh_nop"] = "FAX" }},
	{"unknown applicant type", "LoaiDoiTuong", func(r *legacyRow, _ int) { r.cols["loai_doi_tuong"] = "NUOC_NGOAI_CU" }},
	{"applicant type NULL", "LoaiDoiTuong", func(r *legacyRow, _ int) { r.cols["loai_doi_tuong"] = nil }},
	{"MaHoSo in a short legacy form", "MaHoSo", func(r *legacyRow, i int) { r.cols["so_ho_so"] = fmt.Sprintf("H29.12-260915-%04d", i%10000) }},
	{"MaHoSo with month 13", "MaHoSo", func(r *legacyRow, i int) { r.cols["so_ho_so"] = fmt.Sprintf("000.00.12.H29-261301-%04d", i%10000) }},
	{"MaHoSo with a 5-digit sequence", "MaHoSo", func(r *legacyRow, i int) { r.cols["so_ho_so"] = fmt.Sprintf("000.00.12.H29-260915-%05d", i%100000) }},
	{"MaHoSo NULL", "MaHoSo", func(r *legacyRow, _ int) { r.cols["so_ho_so"] = nil }},
	{"procedure code NULL", "MaTTHC", func(r *legacyRow, _ int) { r.cols["ma_thu_tuc"] = nil }},
	{"processing unit blank", "DonViXuLy", func(r *legacyRow, _ int) { r.cols["don_vi_xu_ly"] = "   " }},
	{"applicant name in TCVN3 or Windows-1258 bytes", "ChuHoSo", func(r *legacyRow, i int) {
		n := legacyEncodedNames[i%len(legacyEncodedNames)]
		raw, _ := hex.DecodeString(n.hex)
		r.name, r.nameBytes = n.utf8, raw
		r.cols["ho_ten_nguoi_nop"] = raw
		r.cols["trich_yeu"] = "Đăng ký khai sinh"
	}},
	{"over-long summary", "TrichYeuHoSo", func(r *legacyRow, _ int) {
		r.cols["trich_yeu"] = strings.Repeat("Đề nghị cấp bản sao trích lục cho "+r.name+". ", 40)
	}},
	{"over-long procedure name", "TenTTHC", func(r *legacyRow, _ int) {
		r.cols["ten_thu_tuc"] = strings.Repeat("Chứng thực bản sao từ bản chính giấy tờ, văn bản ", 25)
	}},
	{"control character in the summary", "TrichYeuHoSo", func(r *legacyRow, _ int) { r.cols["trich_yeu"] = "Đăng ký\x01khai sinh" }},
	{"document flag outside its code table", "TaiLieuNop[0].IsDeleted", func(r *legacyRow, _ int) { r.childBad = true }},
	{"cursor key NULL", "id", func(r *legacyRow, _ int) { r.key = nil }},
	{"cursor key not an integer", "id", func(r *legacyRow, i int) { r.key = fmt.Sprintf("HS-%06d", i) }},
	{"update time is the zero date", "ngay_cap_nhat", func(r *legacyRow, _ int) { r.cols["ngay_cap_nhat"] = "0000-00-00 00:00:00" }},
}

// TestBadInputIsQuarantined mixes malformed dossier rows of every kind in
// badKinds among good ones in a real MariaDB and runs the connector over
// them: each malformed row must be quarantined naming the broken field,
// with a reason, and without the applicant's personal data; every good
// row (and every control row) must be delivered; nothing may be dead.
func TestBadInputIsQuarantined(t *testing.T) {
	good, bad := 1000, 1000
	if long() {
		good, bad = 10000, 10000
	}
	ctx := context.Background()
	started := time.Now()
	dsn, db := testdb.MariaDB(t)
	if err := sampledata.CreateSchema(ctx, db, sampledata.MySQL); err != nil {
		t.Fatal(err)
	}
	// Legacy systems with a text id column exist; here it also lets the
	// key be NULL or garbage, which the connector must survive.
	if _, err := db.ExecContext(ctx, `ALTER TABLE hs_hoso DROP PRIMARY KEY, MODIFY id VARCHAR(32) NULL,
		ADD COLUMN row_no BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY`); err != nil {
		t.Fatal(err)
	}
	gen, err := sampledata.Generate(ctx, db, sampledata.MySQL, sampledata.Options{Seed: 11, Dossiers: good, MaxStepsPerDossier: 2})
	if err != nil {
		t.Fatal(err)
	}
	// The text id column sorts "10" before "9" while key_type int
	// compares numbers; that only matters between rows of one update time,
	// so the test data has none: good rows sharing one move a few seconds
	// apart, and the bad rows below avoid the good ones'.
	separateUpdateTimes(t, ctx, db)
	// Control rows (kind 0) come on top of the malformed ones.
	n := bad
	for n-(n+len(badKinds)-1)/len(badKinds) < bad {
		n++
	}
	rows := makeBadRows(t, ctx, db, good, n)
	if err := insertRows(ctx, db, rows); err != nil {
		t.Fatal(err)
	}
	controls := 0
	for _, r := range rows {
		if r.field == "" {
			controls++
		}
	}
	malformed := len(rows) - controls
	setup := time.Since(started)

	dir := t.TempDir()
	sf := newSigningFiles(t, dir)
	sb, url := startSandbox(t, sandbox.Options{ClientID: sandboxClientID, ClientSecret: "bad-input-secret", Verify: sf.verifier.VerifyBytes, Seed: 3}, nil)
	yaml, err := demo.RenderConfig(demo.ConfigParams{
		Driver: "mysql", LegacyDSN: dsn, LGSPURL: url, ClientSecret: "bad-input-secret",
		CertFile: sf.certFile, KeyFile: sf.keyFile, StorePath: dir + "/outbox.db", Workers: 16,
	})
	if err != nil {
		t.Fatal(err)
	}
	yaml = append(yaml, "\nvalidation:\n  mahoso_policy: reject\n"...)
	a := build(t, yaml, dir, app.Options{})
	runStart := time.Now()
	drain(t, a, 10*time.Minute)
	t.Logf("bad input: %d good dossiers + %d steps, %d malformed + %d control rows; setup %s, connector %s",
		gen.Dossiers, gen.Steps, malformed, controls, setup.Round(time.Millisecond), time.Since(runStart).Round(time.Millisecond))

	// Every good and control row arrived, once; nothing died.
	wantPackets := gen.Dossiers + controls + gen.Steps
	st := sb.Stats()
	if st.Unique != wantPackets || st.ByKind["HoSo"] != gen.Dossiers+controls {
		t.Errorf("sandbox has %d unique packets (%d HoSo), want %d (%d HoSo)", st.Unique, st.ByKind["HoSo"], wantPackets, gen.Dossiers+controls)
	}
	c, err := a.Store.Counts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if c.Dead != 0 || c.Pending != 0 || c.InFlight != 0 || c.Delivered != wantPackets {
		t.Errorf("outbox %+v, want %d delivered and nothing else", c, wantPackets)
	}
	if c.Quarantined != malformed {
		t.Errorf("outbox quarantined %d rows, want %d", c.Quarantined, malformed)
	}

	q, err := a.Store.Quarantine(ctx, outbox.Filter{Stream: "ho_so", Limit: outbox.MaxQueryLimit})
	if err != nil {
		t.Fatal(err)
	}
	checkQuarantine(t, rows, q)
}

// separateUpdateTimes moves the k-th good row of an update time k seconds
// later, until no two rows share one.
func separateUpdateTimes(t *testing.T, ctx context.Context, db *sql.DB) {
	t.Helper()
	for range 10 {
		res, err := db.ExecContext(ctx, `UPDATE hs_hoso h JOIN (
			SELECT row_no, ROW_NUMBER() OVER (PARTITION BY ngay_cap_nhat ORDER BY row_no) - 1 AS k FROM hs_hoso) d
			ON d.row_no = h.row_no
			SET h.ngay_cap_nhat = h.ngay_cap_nhat + INTERVAL d.k SECOND WHERE d.k > 0`)
		if err != nil {
			t.Fatal(err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return
		}
	}
	t.Fatal("test data: good rows still share update times")
}

// makeBadRows builds bad rows, kinds in rotation, at update times spread
// over the good rows' range but never equal to one of theirs, so every
// row has its own place in (updated, key) order.
func makeBadRows(t *testing.T, ctx context.Context, db *sql.DB, good, n int) []legacyRow {
	t.Helper()
	taken := map[string]bool{}
	rs, err := db.QueryContext(ctx, `SELECT ngay_cap_nhat FROM hs_hoso`)
	if err != nil {
		t.Fatal(err)
	}
	for rs.Next() {
		var s string
		if err := rs.Scan(&s); err != nil {
			t.Fatal(err)
		}
		taken[s] = true
	}
	if err := rs.Close(); err != nil {
		t.Fatal(err)
	}
	ict := time.FixedZone("ICT", 7*3600)
	start := time.Date(2026, 9, 1, 7, 30, 0, 0, ict)
	step := 60 * 24 * time.Hour / time.Duration(n)
	rows := make([]legacyRow, n)
	for i := range rows {
		at := start.Add(time.Duration(i)*step + 13*time.Second)
		for taken[at.Format(legacyLayout)] {
			at = at.Add(time.Second)
		}
		taken[at.Format(legacyLayout)] = true
		r := baseRow(good+i+1, i, at)
		k := badKinds[i%len(badKinds)]
		r.kind, r.field = k.name, k.field
		k.apply(&r, i)
		if r.nameBytes != nil && utf8.Valid(r.nameBytes) {
			t.Fatalf("test data: %s name %x is valid UTF-8", k.name, r.nameBytes)
		}
		rows[i] = r
	}
	return rows
}

func baseRow(id, i int, updated time.Time) legacyRow {
	name := badFamily[i%len(badFamily)] + " " + badMiddle[(i/3)%len(badMiddle)] + " " + badGiven[(i/7)%len(badGiven)]
	r := legacyRow{
		key:   strconv.Itoa(id),
		name:  name,
		idNo:  fmt.Sprintf("0793%08d", 31000000+i),
		phone: fmt.Sprintf("0862%06d", i),
		email: fmt.Sprintf("nguoi.nop.%d@example.vn", i),
	}
	received := updated.Add(-50 * time.Hour)
	r.cols = map[string]any{
		"so_ho_so":         fmt.Sprintf("000.00.12.H29-%s-%04d", received.Format("060102"), 5000+i%5000),
		"ma_thu_tuc":       "1.001193",
		"ten_thu_tuc":      "Đăng ký khai sinh",
		"ma_linh_vuc":      "H29-HT",
		"ten_linh_vuc":     "Hộ tịch",
		"kenh_nop":         "TRUC_TUYEN",
		"ho_ten_nguoi_nop": []byte(name),
		"so_giay_to":       r.idNo,
		"loai_doi_tuong":   "CONG_DAN",
		"dien_thoai":       r.phone,
		"email":            r.email,
		"trich_yeu":        "Đăng ký khai sinh cho ông/bà " + name,
		"ngay_nhan":        received.Format(legacyLayout),
		"ngay_hen_tra":     received.Add(5 * 24 * time.Hour).Format(legacyLayout),
		"ngay_ket_thuc":    nil,
		"ngay_tra_kq":      nil,
		"trang_thai":       "DANG_XU_LY",
		"tra_qua_buu_dien": 0,
		"don_vi_xu_ly":     "UBND phường Sài Gòn",
		"ngay_cap_nhat":    updated.Format(legacyLayout),
	}
	return r
}

// insertRows writes the rows with multi-row INSERTs on one connection
// whose SQL mode admits the zero date, as old MySQL installations do.
func insertRows(ctx context.Context, db *sql.DB, rows []legacyRow) error {
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `SET SESSION sql_mode = 'STRICT_TRANS_TABLES'`); err != nil {
		return err
	}
	const perStatement = 200
	one := "(" + strings.TrimSuffix(strings.Repeat("?, ", len(hsHosoColumns)), ", ") + ")"
	for from := 0; from < len(rows); from += perStatement {
		chunk := rows[from:min(from+perStatement, len(rows))]
		var args []any
		for _, r := range chunk {
			args = append(args, r.key)
			for _, c := range hsHosoColumns[1:] {
				args = append(args, r.cols[c])
			}
		}
		q := "INSERT INTO hs_hoso (" + strings.Join(hsHosoColumns, ", ") + ") VALUES " + strings.TrimSuffix(strings.Repeat(one+", ", len(chunk)), ", ")
		if _, err := conn.ExecContext(ctx, q, args...); err != nil {
			return fmt.Errorf("insert bad rows %d..%d: %w", from, from+len(chunk)-1, err)
		}
	}
	for i, r := range rows {
		if !r.childBad {
			continue
		}
		id, _ := strconv.Atoi(r.key.(string))
		if _, err := conn.ExecContext(ctx, `INSERT INTO hs_tai_lieu (id, hoso_id, ten_tai_lieu, ma_thanh_phan, duong_dan, da_xoa) VALUES (?, ?, ?, ?, ?, ?)`,
			10_000_000+i, id, "Tờ khai.pdf", "TP01", "https://motcua.example.gov.vn/files/x", 7); err != nil {
			return err
		}
	}
	return nil
}

var longDigits = regexp.MustCompile(`\d{9,}`)

// checkQuarantine matches quarantine entries to the rows written: the
// field named, a reason given, and no personal data of the row in the
// stored record, value or reason.
func checkQuarantine(t *testing.T, rows []legacyRow, q []outbox.QuarantineEntry) {
	t.Helper()
	byKey := map[string]*legacyRow{}
	var nullKeys []*legacyRow
	personalDigits := map[string]bool{}
	for i := range rows {
		r := &rows[i]
		personalDigits[r.idNo], personalDigits[r.phone] = true, true
		switch k := r.key.(type) {
		case nil:
			nullKeys = append(nullKeys, r)
		case string:
			byKey[k] = r
		}
	}
	seenKinds := map[string]int{}
	nullSeen := 0
	for _, e := range q {
		text := string(e.Record) + "\x00" + e.Value + "\x00" + e.Reason
		for _, d := range longDigits.FindAllString(text, -1) {
			if personalDigits[d] {
				t.Errorf("quarantine entry %s (key %q) shows an ID or phone number %q", e.ID, e.RecordKey, d)
			}
		}
		if e.Reason == "" {
			t.Errorf("quarantine entry %s (key %q, field %s) has no reason", e.ID, e.RecordKey, e.Field)
		}
		var candidates []*legacyRow
		if r, ok := byKey[e.RecordKey]; ok {
			candidates = []*legacyRow{r}
		} else if e.RecordKey == "" {
			candidates = nullKeys
			nullSeen++
		} else {
			t.Errorf("quarantined a row that was not written bad: key %q field %s: %s", e.RecordKey, e.Field, e.Reason)
			continue
		}
		for _, r := range candidates {
			for _, secret := range personalStrings(r) {
				if strings.Contains(text, secret) {
					t.Errorf("quarantine entry %s (%s) contains personal data %q verbatim", e.ID, r.kind, secret)
				}
			}
		}
		r := candidates[0]
		if e.RecordKey == "" {
			if e.Field != "id" || e.Value != "NULL" {
				t.Errorf("NULL-key row quarantined as field %s value %q, want id \"NULL\": %s", e.Field, e.Value, e.Reason)
			}
			seenKinds[r.kind]++
			continue
		}
		if r.field == "" {
			t.Errorf("control row %s quarantined: %s %q: %s", e.RecordKey, e.Field, e.Value, e.Reason)
			continue
		}
		if e.Field != r.field {
			t.Errorf("row %s (%s) quarantined for %s (%q: %s), want %s", e.RecordKey, r.kind, e.Field, e.Value, e.Reason, r.field)
		}
		seenKinds[r.kind]++
	}
	if nullSeen != len(nullKeys) {
		t.Errorf("%d NULL-key rows quarantined, want %d", nullSeen, len(nullKeys))
	}
	want := map[string]int{}
	for _, r := range rows {
		if r.field != "" {
			want[r.kind]++
		}
	}
	for kind, n := range want {
		if seenKinds[kind] != n {
			t.Errorf("%s: %d rows quarantined, want %d", kind, seenKinds[kind], n)
		}
	}
}

// personalStrings are the forms in which a row's personal data could leak:
// as written, and for a legacy-encoded name also its raw bytes and hex.
func personalStrings(r *legacyRow) []string {
	out := []string{r.name, r.idNo, r.phone, r.email}
	if r.nameBytes != nil {
		out = append(out, string(r.nameBytes), hex.EncodeToString(r.nameBytes))
	}
	return out
}
