// Package sampledata builds a realistic legacy one-stop database: the
// schema an "ISO điện tử" product typically has (dossiers, processing
// steps, submitted documents) filled with deterministic Vietnamese sample
// dossiers, plus deliberately bad rows of every kind the mapping must
// quarantine. The demo, the end-to-end tests and the benchmarks use it, on
// SQLite and on MariaDB/MySQL.
package sampledata

import (
	"context"
	"database/sql"
	"fmt"
	"math/bits"
	"math/rand/v2"
	"strings"
	"time"
)

// Dialect is the SQL flavour of the target database.
type Dialect string

// Supported dialects.
const (
	SQLite Dialect = "sqlite"
	MySQL  Dialect = "mysql"
)

// Options control what Generate writes.
type Options struct {
	Seed     uint64
	Dossiers int // good dossiers
	BadRows  int // dossiers that must be quarantined, mixed in among the good ones
	// Start is the receipt time of the first dossier; dossiers spread over
	// the following Days days.
	Start time.Time
	Days  int
	// UnitCode is the agency identifier in generated MaHoSo.
	UnitCode string
	// MaxStepsPerDossier bounds progress steps (1..Max, average ≈ Max/2+1).
	MaxStepsPerDossier int
}

// Stats says what was written.
type Stats struct {
	Dossiers, BadDossiers, Steps, Documents int
	// BadReasons maps a bad dossier's id to the field the mapping is
	// expected to reject.
	BadReasons map[int64]string
}

// Schema returns the CREATE statements for the dialect, indexes included
// (the cursor columns of every stream are indexed, as doctor requires, and
// the receipt and end dates the statistics read a period by).
func Schema(d Dialect) []string {
	dt, pk, text, long, raw := "TEXT", "INTEGER PRIMARY KEY", "TEXT", "TEXT", "TEXT"
	if d == MySQL {
		// The applicant name is a byte column, as in legacy systems that
		// stored whatever encoding the desk PC used: the mapping decodes it.
		dt, pk, text, long, raw = "DATETIME", "BIGINT PRIMARY KEY", "VARCHAR(255)", "TEXT", "VARBINARY(255)"
	}
	return []string{
		`CREATE TABLE hs_hoso (
  id ` + pk + `,
  so_ho_so ` + text + ` NULL,
  ma_thu_tuc ` + text + ` NULL,
  ten_thu_tuc ` + long + ` NULL,
  ma_linh_vuc ` + text + ` NULL,
  ten_linh_vuc ` + text + ` NULL,
  kenh_nop ` + text + ` NULL,
  ho_ten_nguoi_nop ` + raw + ` NULL,
  so_giay_to ` + text + ` NULL,
  loai_doi_tuong ` + text + ` NULL,
  dien_thoai ` + text + ` NULL,
  email ` + text + ` NULL,
  trich_yeu ` + long + ` NULL,
  ngay_nhan ` + text + ` NULL,
  ngay_hen_tra ` + text + ` NULL,
  ngay_ket_thuc ` + text + ` NULL,
  ngay_tra_kq ` + text + ` NULL,
  trang_thai ` + text + ` NULL,
  tra_qua_buu_dien INTEGER NULL,
  don_vi_xu_ly ` + text + ` NULL,
  ngay_cap_nhat ` + dt + ` NOT NULL
)`,
		`CREATE INDEX ix_hs_hoso_cap_nhat ON hs_hoso (ngay_cap_nhat, id)`,
		// The monthly statistics read a period through these two (see
		// docs/statistics.md): received in the period; finished in or after
		// it, or still open (NULL) and received before it — one range of
		// (ngay_ket_thuc, ngay_nhan) even when most of history is open.
		`CREATE INDEX ix_hs_hoso_ngay_nhan ON hs_hoso (ngay_nhan)`,
		`CREATE INDEX ix_hs_hoso_ngay_ket_thuc ON hs_hoso (ngay_ket_thuc, ngay_nhan)`,
		`CREATE TABLE hs_qua_trinh (
  id ` + pk + `,
  hoso_id BIGINT NOT NULL,
  so_ho_so ` + text + ` NULL,
  can_bo ` + text + ` NULL,
  chuc_danh ` + text + ` NULL,
  phong_ban ` + text + ` NULL,
  noi_dung ` + long + ` NULL,
  trang_thai ` + text + ` NULL,
  thoi_diem ` + text + ` NULL,
  han_xu_ly ` + text + ` NULL,
  ngay_cap_nhat ` + dt + ` NOT NULL
)`,
		`CREATE INDEX ix_hs_qua_trinh_cap_nhat ON hs_qua_trinh (ngay_cap_nhat, id)`,
		`CREATE TABLE hs_tai_lieu (
  id ` + pk + `,
  hoso_id BIGINT NOT NULL,
  ten_tai_lieu ` + text + ` NULL,
  ma_thanh_phan ` + text + ` NULL,
  duong_dan ` + text + ` NULL,
  da_xoa INTEGER NOT NULL DEFAULT 0
)`,
		`CREATE INDEX ix_hs_tai_lieu_hoso ON hs_tai_lieu (hoso_id)`,
	}
}

// CreateSchema runs Schema on db.
func CreateSchema(ctx context.Context, db *sql.DB, d Dialect) error {
	for _, stmt := range Schema(d) {
		if _, err := db.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("create sample schema: %w", err)
		}
	}
	return nil
}

type procedure struct{ code, name, field, fieldName string }

var procedures = []procedure{
	{"1.001193", "Đăng ký khai sinh", "H29-HT", "Hộ tịch"},
	{"1.000894", "Đăng ký kết hôn", "H29-HT", "Hộ tịch"},
	{"1.000656", "Đăng ký khai tử", "H29-HT", "Hộ tịch"},
	{"2.000908", "Chứng thực bản sao từ bản chính giấy tờ, văn bản", "H29-CT", "Chứng thực"},
	{"2.000884", "Chứng thực chữ ký trong các giấy tờ, văn bản", "H29-CT", "Chứng thực"},
	{"1.001612", "Đăng ký thành lập hộ kinh doanh", "H29-KD", "Thành lập và hoạt động của hộ kinh doanh"},
	{"1.009994", "Cấp giấy phép xây dựng nhà ở riêng lẻ", "H29-XD", "Hoạt động xây dựng"},
	{"1.004227", "Xác nhận tình trạng hôn nhân", "H29-HT", "Hộ tịch"},
}

var (
	familyNames = []string{"Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô", "Dương", "Lý"}
	middleNames = []string{"Văn", "Thị", "Minh", "Ngọc", "Thanh", "Hoàng", "Quốc", "Thu", "Đức", "Bảo"}
	givenNames  = []string{"An", "Bình", "Châu", "Dũng", "Hà", "Hải", "Hạnh", "Hiếu", "Hùng", "Lan", "Linh", "Long", "Mai", "Nam", "Nga", "Phúc", "Quân", "Sơn", "Tâm", "Thảo", "Trang", "Tuấn", "Vy", "Yến"}
	officers    = []string{"Trần Thị Mỹ Dung", "Lê Hoàng Phúc", "Nguyễn Minh Khoa", "Phạm Ngọc Trâm", "Võ Thanh Tùng"}
	wards       = []string{"UBND phường Sài Gòn", "UBND phường Bến Thành", "UBND phường Tân Định", "UBND phường Chợ Lớn", "UBND xã Bình Chánh"}
	channels    = []string{"TRUC_TIEP", "TRUC_TIEP", "TRUC_TUYEN", "TRUC_TUYEN", "TRUC_TUYEN", "BUU_CHINH"}
	applicants  = []string{"CONG_DAN", "CONG_DAN", "CONG_DAN", "DOANH_NGHIEP", "CO_QUAN", "KHAC"}
	// Legacy status words and the processing path that leads to each.
	finalStatuses = []string{"DA_TRA_KQ", "DA_TRA_KQ", "DA_TRA_KQ", "DA_XU_LY", "DANG_XU_LY", "DANG_XU_LY", "CHO_BO_SUNG", "TU_CHOI", "RUT_HO_SO", "DA_TIEP_NHAN"}
	steps         = []struct{ status, text, dept string }{
		{"DA_TIEP_NHAN", "Tiếp nhận hồ sơ tại Bộ phận một cửa", "Bộ phận Một cửa"},
		{"DANG_XU_LY", "Chuyển chuyên viên thụ lý", "Phòng Văn hóa - Xã hội"},
		{"DANG_XU_LY", "Thẩm định hồ sơ", "Phòng Văn hóa - Xã hội"},
		{"DANG_XU_LY", "Trình lãnh đạo ký duyệt", "Văn phòng HĐND và UBND"},
		{"DA_XU_LY", "Lãnh đạo đã ký, chuyển trả kết quả", "Văn phòng HĐND và UBND"},
		{"DA_TRA_KQ", "Trả kết quả cho công dân", "Bộ phận Một cửa"},
	}
)

// BadKinds are the defects injected into bad rows, in rotation. Each names
// the packet field the mapping must reject.
var BadKinds = []struct{ Name, Field string }{
	{"invalid receipt date", "NgayTiepNhan"},
	{"unknown legacy status", "TrangThaiHoSo"},
	{"missing dossier code", "MaHoSo"},
	{"unknown channel", "KenhThucHien"},
	{"invalid UTF-8 in applicant name", "ChuHoSo"},
	{"over-long summary", "TrichYeuHoSo"},
	{"unknown applicant type", "LoaiDoiTuong"},
}

// Generate writes opts.Dossiers good and opts.BadRows bad dossiers with
// their steps and documents. The same options always give the same rows.
func Generate(ctx context.Context, db *sql.DB, d Dialect, opts Options) (Stats, error) {
	opts = opts.withDefaults()
	rng := rand.New(rand.NewPCG(opts.Seed, opts.Seed^0x9e3779b97f4a7c15))
	total := opts.Dossiers + opts.BadRows
	st := Stats{BadReasons: map[int64]string{}}
	// Spread bad rows evenly among the good ones.
	badEvery := 0
	if opts.BadRows > 0 {
		badEvery = total / opts.BadRows
	}
	hs := newBulk(db, d, "hs_hoso", []string{"id", "so_ho_so", "ma_thu_tuc", "ten_thu_tuc", "ma_linh_vuc", "ten_linh_vuc", "kenh_nop", "ho_ten_nguoi_nop", "so_giay_to", "loai_doi_tuong", "dien_thoai", "email", "trich_yeu", "ngay_nhan", "ngay_hen_tra", "ngay_ket_thuc", "ngay_tra_kq", "trang_thai", "tra_qua_buu_dien", "don_vi_xu_ly", "ngay_cap_nhat"})
	qt := newBulk(db, d, "hs_qua_trinh", []string{"id", "hoso_id", "so_ho_so", "can_bo", "chuc_danh", "phong_ban", "noi_dung", "trang_thai", "thoi_diem", "han_xu_ly", "ngay_cap_nhat"})
	tl := newBulk(db, d, "hs_tai_lieu", []string{"id", "hoso_id", "ten_tai_lieu", "ma_thanh_phan", "duong_dan", "da_xoa"})
	span := time.Duration(opts.Days) * 24 * time.Hour
	dailySeq := map[string]int{}
	var stepID, docID int64
	badIdx := 0
	for i := 0; i < total; i++ {
		id := int64(i + 1)
		bad := badEvery > 0 && i%badEvery == badEvery-1 && badIdx < opts.BadRows
		// Receipts move forward in time; office hours only.
		received := opts.Start.Add(spreadOver(span, i, total))
		received = officeHours(received)
		day := received.Format("060102")
		dailySeq[day]++
		code := fmt.Sprintf("%s-%s-%04d", opts.UnitCode, day, dailySeq[day])
		p := procedures[rng.IntN(len(procedures))]
		name := familyNames[rng.IntN(len(familyNames))] + " " + middleNames[rng.IntN(len(middleNames))] + " " + givenNames[rng.IntN(len(givenNames))]
		idNo := fmt.Sprintf("0792%08d", rng.IntN(100000000))
		phone := fmt.Sprintf("09%08d", rng.IntN(100000000))
		email := fmt.Sprintf("cong.dan%d@example.vn", id)
		final := finalStatuses[rng.IntN(len(finalStatuses))]
		due := received.Add(time.Duration(3+rng.IntN(12)) * 24 * time.Hour)
		nSteps := 1 + rng.IntN(opts.MaxStepsPerDossier)
		var finished, returned any
		at := received
		type step struct {
			status, text, dept string
			at                 time.Time
		}
		var ss []step
		for s := 0; s < nSteps; s++ {
			idx := s
			if idx >= len(steps) {
				idx = 1 + rng.IntN(3)
			}
			at = at.Add(time.Duration(1+rng.IntN(30)) * time.Hour)
			ss = append(ss, step{steps[idx].status, steps[idx].text, steps[idx].dept, at})
		}
		switch final {
		case "DA_XU_LY":
			finished = ts(at)
		case "DA_TRA_KQ":
			finished = ts(at.Add(-time.Hour))
			returned = ts(at)
		}
		summary := fmt.Sprintf("%s cho ông/bà %s", p.name, name)
		row := []any{id, code, p.code, p.name, p.field, p.fieldName, channels[rng.IntN(len(channels))], name, idNo, applicants[rng.IntN(len(applicants))], phone, email, summary, ts(received), ts(due), finished, returned, final, rng.IntN(4) / 3, wards[rng.IntN(len(wards))], ts(at)}
		if bad {
			kind := BadKinds[badIdx%len(BadKinds)]
			badIdx++
			st.BadDossiers++
			st.BadReasons[id] = kind.Field
			switch kind.Field {
			case "NgayTiepNhan":
				row[13] = "31/02/2026 08:00"
			case "TrangThaiHoSo":
				row[17] = "CHO_PHE_DUYET_CU"
			case "MaHoSo":
				row[1] = nil
			case "KenhThucHien":
				row[6] = "FAX"
			case "ChuHoSo":
				row[7] = []byte("Nguy\xeabn V\xe3n A") // Windows-1258 bytes in a UTF-8 column
			case "TrichYeuHoSo":
				row[12] = strings.Repeat("Đề nghị cấp bản sao trích lục. ", 60)
			case "LoaiDoiTuong":
				row[9] = "NUOC_NGOAI_CU"
			}
		} else {
			st.Dossiers++
		}
		if err := hs.add(ctx, row...); err != nil {
			return st, err
		}
		for s, step := range ss {
			stepID++
			deadline := any(nil)
			if s > 0 {
				deadline = ts(step.at.Add(48 * time.Hour))
			}
			if err := qt.add(ctx, stepID, id, code, officers[rng.IntN(len(officers))], "Chuyên viên", step.dept, step.text, step.status, ts(step.at), deadline, ts(step.at)); err != nil {
				return st, err
			}
			st.Steps++
		}
		for k := 0; k < 1+rng.IntN(3); k++ {
			docID++
			if err := tl.add(ctx, docID, id, fmt.Sprintf("Tờ khai %s (bản %d).pdf", p.name, k+1), fmt.Sprintf("TP%02d", k+1), fmt.Sprintf("https://motcua.example.gov.vn/files/%d/%d", id, docID), 0); err != nil {
				return st, err
			}
			st.Documents++
		}
	}
	for _, b := range []*bulk{hs, qt, tl} {
		if err := b.flush(ctx); err != nil {
			return st, err
		}
	}
	return st, nil
}

// withDefaults fills the options Generate defaults. DossierRefs uses it
// too, so both derive the same dossier codes.
func (opts Options) withDefaults() Options {
	if opts.Days <= 0 {
		opts.Days = 60
	}
	if opts.UnitCode == "" {
		opts.UnitCode = "000.00.12.H29"
	}
	if opts.MaxStepsPerDossier <= 0 {
		opts.MaxStepsPerDossier = 6
	}
	if opts.Start.IsZero() {
		opts.Start = time.Date(2026, 9, 1, 7, 30, 0, 0, time.FixedZone("ICT", 7*3600))
	}
	return opts
}

// spreadOver is span·i/total without overflow: in int64 nanoseconds the
// product passes 2⁶³ once span·i exceeds about 292 years (60 days × 1,780
// dossiers), which threw later dossiers back before Start.
func spreadOver(span time.Duration, i, total int) time.Duration {
	hi, lo := bits.Mul64(uint64(span), uint64(i))
	q, _ := bits.Div64(hi, lo, uint64(max(total, 1))) // i < total, so q fits
	return time.Duration(q)
}

func officeHours(t time.Time) time.Time {
	h := t.Hour()
	if h < 7 || h >= 17 {
		t = time.Date(t.Year(), t.Month(), t.Day(), 7+(h%9), t.Minute(), t.Second(), 0, t.Location())
	}
	return t
}

// ts renders a time as the legacy schema stores it: wall clock in the
// legacy zone, as text on SQLite and as a DATETIME literal on MySQL.
func ts(t time.Time) any { return t.Format("2006-01-02 15:04:05") }

// bulk batches rows into multi-row INSERTs: one round trip per few
// hundred rows keeps generating a million dossiers practical.
type bulk struct {
	db    *sql.DB
	head  string
	ncol  int
	rows  int
	args  []any
	limit int
	// dollar numbers the placeholders $1, $2, … (PostgreSQL) instead of ?.
	dollar bool
}

func newBulk(db *sql.DB, d Dialect, table string, cols []string) *bulk {
	limit := 500
	if d == SQLite {
		limit = 30000 / len(cols) // stay under SQLite's variable limit
	}
	return &bulk{db: db, head: "INSERT INTO " + table + " (" + strings.Join(cols, ", ") + ") VALUES ", ncol: len(cols), limit: min(limit, 500), dollar: d == Postgres}
}

func (b *bulk) add(ctx context.Context, vals ...any) error {
	if len(vals) != b.ncol {
		return fmt.Errorf("sampledata: %d values for %d columns", len(vals), b.ncol)
	}
	b.args = append(b.args, vals...)
	b.rows++
	if b.rows >= b.limit {
		return b.flush(ctx)
	}
	return nil
}

func (b *bulk) flush(ctx context.Context) error {
	if b.rows == 0 {
		return nil
	}
	var q string
	if b.dollar {
		var sb strings.Builder
		sb.WriteString(b.head)
		for r := 0; r < b.rows; r++ {
			if r > 0 {
				sb.WriteString(", ")
			}
			sb.WriteByte('(')
			for c := 0; c < b.ncol; c++ {
				if c > 0 {
					sb.WriteString(", ")
				}
				fmt.Fprintf(&sb, "$%d", r*b.ncol+c+1)
			}
			sb.WriteByte(')')
		}
		q = sb.String()
	} else {
		one := "(" + strings.TrimSuffix(strings.Repeat("?, ", b.ncol), ", ") + ")"
		q = b.head + strings.TrimSuffix(strings.Repeat(one+", ", b.rows), ", ")
	}
	if _, err := b.db.ExecContext(ctx, q, b.args...); err != nil {
		return fmt.Errorf("sampledata insert: %w", err)
	}
	b.rows, b.args = 0, b.args[:0]
	return nil
}

// Advance simulates desk activity on dossier id: it records a new
// processing step and moves the dossier's status and update time, as the
// legacy software would when an officer acts on it.
func Advance(ctx context.Context, db *sql.DB, id int64, now time.Time) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback() }()
	var code sql.NullString
	if err := tx.QueryRowContext(ctx, `SELECT so_ho_so FROM hs_hoso WHERE id = ?`, id).Scan(&code); err != nil {
		return fmt.Errorf("advance dossier %d: %w", id, err)
	}
	var stepID int64
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(id), 0) + 1 FROM hs_qua_trinh`).Scan(&stepID); err != nil {
		return err
	}
	at := ts(now)
	if _, err := tx.ExecContext(ctx, `UPDATE hs_hoso SET trang_thai = 'DANG_XU_LY', ngay_cap_nhat = ? WHERE id = ?`, at, id); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO hs_qua_trinh (id, hoso_id, so_ho_so, can_bo, chuc_danh, phong_ban, noi_dung, trang_thai, thoi_diem, han_xu_ly, ngay_cap_nhat)
VALUES (?, ?, ?, ?, 'Chuyên viên', 'Phòng Văn hóa - Xã hội', 'Bổ sung ý kiến thẩm định', 'DANG_XU_LY', ?, NULL, ?)`,
		stepID, id, code, officers[int(id)%len(officers)], at, at); err != nil {
		return err
	}
	return tx.Commit()
}
