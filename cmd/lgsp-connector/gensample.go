package main

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"github.com/hcmc-lgsp/lgsp-connector/internal/sampledata"

	_ "modernc.org/sqlite" // driver "sqlite" for --driver sqlite
)

// genSampleOptions are the flags of gen-sample.
type genSampleOptions struct {
	Driver, DSN  string
	Dossiers     int
	BadRows      int
	MaxSteps     int
	Days         int // 0: enough days to keep daily dossier numbers within 4 digits
	Start        string
	UnitCode     string
	Seed         uint64
	CreateSchema bool
	Append       bool
	Reset        bool
	// CommitEvery is how many multi-row INSERTs share one transaction: one
	// log flush per group instead of one per statement (measured 1.5× faster
	// on MariaDB with innodb_flush_log_at_trx_commit=1).
	CommitEvery int

	// The satisfaction survey's database (gensample_survey.go): answers
	// about the dossiers of this run, in the survey vendor's schema.
	SurveyDriver, SurveyDSN string
	Ratings                 int
	UnmappedOfficers        int
	UnmappedCriteria        int
	Resends                 int
}

// sampleTables are the tables sampledata writes, parents first.
var sampleTables = []string{"hs_hoso", "hs_qua_trinh", "hs_tai_lieu"}

// dailyCapacity is the number of dossiers per day the automatic --days
// aims at: MaHoSo numbers a day's dossiers with four digits, and a larger
// day would make codes that break the rule.
const dailyCapacity = 4000

func newGenSampleCmd() *cobra.Command {
	var o genSampleOptions
	cmd := &cobra.Command{
		Use:   "gen-sample",
		Short: "Tạo CSDL một cửa mẫu để thử tải / Fill a sample legacy database for load tests",
		Long: `gen-sample ghi hồ sơ mẫu tiếng Việt (tất định theo --seed) vào CSDL một cửa mẫu:
bảng hs_hoso, hs_qua_trinh, hs_tai_lieu như sản phẩm "ISO điện tử" thường có.
Từ chối ghi vào bảng đã có dữ liệu, trừ khi có --reset (xóa trước) hoặc --append (thêm sau).

Với --ratings N --survey-dsn …, gen-sample ghi thêm N phiếu đánh giá hài lòng về các hồ sơ vừa
tạo vào CSDL riêng của hệ thống khảo sát (bảng dg_phieu: ki-ốt, ứng dụng di động, web, phiếu giấy),
kèm phiếu ki-ốt gửi lại (--resends) và phiếu có mã cán bộ/câu hỏi chưa ánh xạ (--unmapped-officers,
--unmapped-criteria) mà connector phải cách ly.

gen-sample writes deterministic Vietnamese sample dossiers (same --seed, same rows)
into the sample legacy schema (hs_hoso, hs_qua_trinh, hs_tai_lieu). It refuses to
write into tables that already hold rows unless --reset (empty them first) or
--append (add dossiers after the existing ones, with later dates) is given.
Average processing steps per dossier ≈ (1 + --max-steps) / 2.

With --ratings N --survey-dsn DSN it also fills the satisfaction survey's own
database (table dg_phieu, as a kiosk/mobile/web survey vendor keeps it; MySQL,
PostgreSQL or SQLite, --survey-driver, default --driver) with N answers about the
dossiers written in the same run, plus --resends kiosk re-sends (a new row with
the same ma_phieu: the connector must drop it as a duplicate) and answers with an
officer id (--unmapped-officers) or a question code (--unmapped-criteria) that the
sample mapping does not know: the connector must quarantine them. The survey
table must be empty or emptied with --reset; ratings cannot be appended.
--create-schema creates the table (and on MySQL the database; a PostgreSQL
database must exist). The summary lists the known officer ids and question
codes, for the mapping's code tables.`,
		Example: `  lgsp-connector gen-sample --driver mysql --dsn 'root@tcp(127.0.0.1:3306)/lgsp_bench' \
      --dossiers 1000000 --max-steps 9 --bad-rows 0 --seed 1 --create-schema
  lgsp-connector gen-sample --driver sqlite --dsn file:legacy.db --dossiers 5000 --create-schema --reset
  lgsp-connector gen-sample --driver mysql --dsn 'root@tcp(127.0.0.1:3306)/motcua' --dossiers 2000 \
      --survey-dsn 'root@tcp(127.0.0.1:3306)/khao_sat' --ratings 5000 --resends 100 \
      --unmapped-officers 20 --unmapped-criteria 10 --create-schema --reset`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			sum, err := genSample(cmd.Context(), cmd.ErrOrStderr(), o)
			if err != nil {
				return err
			}
			sum.print(cmd.OutOrStdout())
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.Driver, "driver", "mysql", "mysql (MariaDB/MySQL) hoặc / or sqlite")
	f.StringVar(&o.DSN, "dsn", "", "chuỗi kết nối / data source name, e.g. root@tcp(127.0.0.1:3306)/lgsp_bench or file:legacy.db")
	f.IntVar(&o.Dossiers, "dossiers", 10000, "số hồ sơ hợp lệ / good dossiers")
	f.IntVar(&o.BadRows, "bad-rows", 0, "số hồ sơ lỗi (phải bị cách ly) / bad dossiers the mapping must quarantine")
	f.IntVar(&o.MaxSteps, "max-steps", 9, "số bước xử lý tối đa mỗi hồ sơ / most processing steps per dossier")
	f.IntVar(&o.Days, "days", 0, "rải ngày tiếp nhận trên N ngày (0: tự chọn) / spread receipts over N days (0: automatic)")
	f.StringVar(&o.Start, "start", "", "ngày tiếp nhận đầu tiên YYYY-MM-DD / first receipt day (default 2026-09-01, or the day after the existing rows with --append)")
	f.StringVar(&o.UnitCode, "unit-code", "000.00.12.H29", "mã đơn vị trong MaHoSo / agency identifier in MaHoSo")
	f.Uint64Var(&o.Seed, "seed", 1, "hạt giống: cùng hạt giống, cùng dữ liệu / seed: same seed, same rows")
	f.BoolVar(&o.CreateSchema, "create-schema", false, "tạo CSDL và bảng nếu chưa có / create the database and tables when missing")
	f.BoolVar(&o.Append, "append", false, "thêm sau dữ liệu đã có / add dossiers after the existing rows")
	f.BoolVar(&o.Reset, "reset", false, "xóa dữ liệu mẫu cũ trước khi ghi / delete the existing sample rows first")
	f.IntVar(&o.CommitEvery, "commit-every", 20, "số lệnh INSERT nhiều dòng mỗi giao dịch / multi-row INSERTs per transaction")
	f.StringVar(&o.SurveyDSN, "survey-dsn", "", "CSDL khảo sát hài lòng / satisfaction survey database, e.g. root@tcp(127.0.0.1:3306)/khao_sat or file:khao-sat.db")
	f.StringVar(&o.SurveyDriver, "survey-driver", "", "mysql, postgres hoặc / or sqlite (mặc định / default: --driver)")
	f.IntVar(&o.Ratings, "ratings", 0, "số phiếu đánh giá hợp lệ / good survey answers (needs --survey-dsn)")
	f.IntVar(&o.Resends, "resends", 0, "số phiếu ki-ốt gửi lại (trùng ma_phieu) / kiosk re-sends (same ma_phieu)")
	f.IntVar(&o.UnmappedOfficers, "unmapped-officers", 0, "số phiếu có mã cán bộ chưa ánh xạ / answers with an unknown officer id")
	f.IntVar(&o.UnmappedCriteria, "unmapped-criteria", 0, "số phiếu có mã câu hỏi chưa ánh xạ / answers with an unknown question code")
	return cmd
}

// genSummary is what gen-sample reports.
type genSummary struct {
	Driver, Database string
	Seed             uint64
	Stats            sampledata.Stats
	FirstID          int64 // id of the first dossier written
	Start            time.Time
	Days             int
	Elapsed          time.Duration
	Reset, Appended  bool
	Survey           *surveySummary // nil without --ratings
}

func (s genSummary) rows() int {
	return s.Stats.Dossiers + s.Stats.BadDossiers + s.Stats.Steps + s.Stats.Documents
}

func (s genSummary) print(w io.Writer) {
	total := s.Stats.Dossiers + s.Stats.BadDossiers
	mode := "bảng trống / empty tables"
	switch {
	case s.Reset:
		mode = "đã xóa dữ liệu cũ / existing rows deleted first"
	case s.Appended:
		mode = "thêm sau dữ liệu cũ / appended after existing rows"
	}
	secs := max(s.Elapsed.Seconds(), 1e-9)
	fmt.Fprintf(w, "Dữ liệu mẫu đã ghi / sample data written: %s database %q, seed %d (%s)\n", s.Driver, s.Database, s.Seed, mode)
	fmt.Fprintf(w, "  hồ sơ / dossiers:        %d (%d good, %d bad), ids %d–%d\n", total, s.Stats.Dossiers, s.Stats.BadDossiers, s.FirstID, s.FirstID+int64(total)-1)
	fmt.Fprintf(w, "  bước xử lý / steps:      %d (%.2f per dossier)\n", s.Stats.Steps, float64(s.Stats.Steps)/float64(max(total, 1)))
	fmt.Fprintf(w, "  tài liệu / documents:    %d\n", s.Stats.Documents)
	fmt.Fprintf(w, "  ngày tiếp nhận / receipts: %s … %s (%d days)\n", s.Start.Format("2006-01-02"), s.Start.AddDate(0, 0, s.Days-1).Format("2006-01-02"), s.Days)
	fmt.Fprintf(w, "  thời gian / time:        %s: %.0f rows/s, %.0f dossiers/s\n", s.Elapsed.Round(time.Millisecond), float64(s.rows())/secs, float64(total)/secs)
	if s.Stats.BadDossiers > 0 {
		fmt.Fprintf(w, "  %d hồ sơ lỗi sẽ bị cách ly, theo thứ tự các loại lỗi / bad dossiers will be quarantined, defects in rotation: %s\n", s.Stats.BadDossiers, badKindNames())
	}
	s.Survey.print(w)
}

func badKindNames() string {
	names := make([]string, len(sampledata.BadKinds))
	for i, k := range sampledata.BadKinds {
		names[i] = k.Name
	}
	return strings.Join(names, "; ")
}

func (o genSampleOptions) validate() error {
	var errs []error
	if o.Driver != "mysql" && o.Driver != "sqlite" {
		errs = append(errs, fmt.Errorf("--driver %q: want mysql or sqlite", o.Driver))
	}
	if o.DSN == "" {
		errs = append(errs, errors.New("--dsn is required, e.g. root@tcp(127.0.0.1:3306)/lgsp_bench or file:legacy.db"))
	}
	if o.Dossiers < 0 || o.BadRows < 0 || o.Dossiers+o.BadRows == 0 {
		errs = append(errs, fmt.Errorf("--dossiers %d --bad-rows %d: want at least one dossier and no negative count", o.Dossiers, o.BadRows))
	}
	if o.MaxSteps < 1 {
		errs = append(errs, fmt.Errorf("--max-steps %d: want at least 1", o.MaxSteps))
	}
	if o.Days < 0 {
		errs = append(errs, fmt.Errorf("--days %d: want 0 (automatic) or more", o.Days))
	}
	if o.CommitEvery < 1 {
		errs = append(errs, fmt.Errorf("--commit-every %d: want at least 1", o.CommitEvery))
	}
	if o.Append && o.Reset {
		errs = append(errs, errors.New("--append and --reset exclude each other: choose one"))
	}
	if o.Start != "" {
		if _, err := time.Parse("2006-01-02", o.Start); err != nil {
			errs = append(errs, fmt.Errorf("--start %q: want YYYY-MM-DD", o.Start))
		}
	}
	errs = append(errs, o.validateSurvey()...)
	return errors.Join(errs...)
}

// vietnamZone is the zone legacy one-stop systems keep their wall clocks in.
var vietnamZone = time.FixedZone("ICT", 7*3600)

// genSample writes the sample rows and reports progress on progressOut.
func genSample(ctx context.Context, progressOut io.Writer, o genSampleOptions) (genSummary, error) {
	if err := o.validate(); err != nil {
		return genSummary{}, err
	}
	dialect, dbName, dsn, err := prepareSampleDSN(o)
	if err != nil {
		return genSummary{}, err
	}
	// The survey database is checked before anything is written.
	survey, err := prepareSurvey(ctx, o)
	if err != nil {
		return genSummary{}, err
	}
	defer survey.close()
	if o.CreateSchema && o.Driver == "mysql" {
		if err := createMySQLDatabase(ctx, dsn); err != nil {
			return genSummary{}, err
		}
	}
	plain, err := sql.Open(o.Driver, dsn)
	if err != nil {
		return genSummary{}, fmt.Errorf("gen-sample: open %s database %q: %w", o.Driver, dbName, err)
	}
	hooks := &genHooks{commitEvery: o.CommitEvery}
	db := sql.OpenDB(&genConnector{drv: plain.Driver(), dsn: dsn, hooks: hooks})
	_ = plain.Close()
	defer db.Close()
	// One connection: the transaction the hooks open belongs to it.
	db.SetMaxOpenConns(1)

	if err := db.PingContext(ctx); err != nil {
		return genSummary{}, fmt.Errorf("gen-sample: connect to %s database %q: %w", o.Driver, dbName, err)
	}
	exists, err := sampleSchemaExists(ctx, db)
	if err != nil {
		return genSummary{}, err
	}
	switch {
	case !exists && !o.CreateSchema:
		return genSummary{}, fmt.Errorf("gen-sample: database %q has no table hs_hoso: add --create-schema to create the sample tables", dbName)
	case !exists:
		if err := sampledata.CreateSchema(ctx, db, dialect); err != nil {
			return genSummary{}, fmt.Errorf("gen-sample: database %q: %w", dbName, err)
		}
	}

	sum := genSummary{Driver: o.Driver, Database: dbName, Seed: o.Seed}
	counts, err := countSampleRows(ctx, db)
	if err != nil {
		return sum, err
	}
	nonEmpty := ""
	for _, t := range sampleTables {
		if counts[t] > 0 {
			nonEmpty += fmt.Sprintf(" %s has %d rows;", t, counts[t])
		}
	}
	switch {
	case nonEmpty != "" && o.Reset:
		if err := resetSampleTables(ctx, db, o.Driver); err != nil {
			return sum, err
		}
		sum.Reset = true
	case nonEmpty != "" && !o.Append:
		return sum, fmt.Errorf("gen-sample: database %q is not empty:%s add --reset to delete those rows first, or --append to add dossiers after them", dbName, nonEmpty)
	case nonEmpty != "" && o.Append:
		if err := hooks.planAppend(ctx, db); err != nil {
			return sum, err
		}
		sum.Appended = true
	}

	total := o.Dossiers + o.BadRows
	sum.Days = o.Days
	if sum.Days == 0 {
		sum.Days = max(60, (total+dailyCapacity-1)/dailyCapacity)
	}
	sum.Start, err = sampleStart(ctx, db, o, hooks.appending)
	if err != nil {
		return sum, err
	}
	sum.FirstID = hooks.offsets["hs_hoso"]["id"] + 1

	progress := newGenProgress(progressOut, total)
	hooks.onDossiers = progress.add
	start := time.Now()
	genOpts := sampledata.Options{
		Seed: o.Seed, Dossiers: o.Dossiers, BadRows: o.BadRows, MaxStepsPerDossier: o.MaxSteps,
		Start: sum.Start, Days: sum.Days, UnitCode: o.UnitCode,
	}
	st, genErr := sampledata.Generate(ctx, db, dialect, genOpts)
	if genErr == nil {
		genErr = hooks.commitAll(ctx)
	} else {
		hooks.rollbackAll()
	}
	progress.finish(genErr == nil)
	sum.Elapsed = time.Since(start)
	sum.Stats = st
	if genErr != nil {
		committed := hooks.committedDossiers.Load()
		return sum, fmt.Errorf("gen-sample: stopped after %d of %d dossiers were committed to %q: %w; run again with --reset to start over", committed, total, dbName, genErr)
	}
	if survey != nil {
		if sum.Survey, err = survey.generate(ctx, o, genOpts); err != nil {
			return sum, err
		}
	}
	return sum, nil
}

// prepareSampleDSN returns the dialect, a database name to show (never the
// password) and the DSN to use: for MySQL, with client-side parameter
// interpolation, which sends each multi-row INSERT in one round trip
// instead of prepare, execute and close.
func prepareSampleDSN(o genSampleOptions) (sampledata.Dialect, string, string, error) {
	if o.Driver == "sqlite" {
		name := strings.TrimPrefix(o.DSN, "file:")
		if i := strings.IndexByte(name, '?'); i >= 0 {
			name = name[:i]
		}
		return sampledata.SQLite, name, o.DSN, nil
	}
	cfg, err := mysql.ParseDSN(o.DSN)
	if err != nil {
		return "", "", "", fmt.Errorf("--dsn is not a MySQL DSN (want user:password@tcp(host:3306)/database): %w", err)
	}
	if cfg.DBName == "" {
		return "", "", "", errors.New("--dsn names no database: add it after the slash, e.g. root@tcp(127.0.0.1:3306)/lgsp_bench")
	}
	cfg.InterpolateParams = true
	return sampledata.MySQL, cfg.DBName, cfg.FormatDSN(), nil
}

// createMySQLDatabase creates the DSN's database when it does not exist.
func createMySQLDatabase(ctx context.Context, dsn string) error {
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		return err
	}
	name := cfg.DBName
	if strings.ContainsAny(name, "`\x00") {
		return fmt.Errorf("gen-sample: database name %q contains a backquote or NUL", name)
	}
	cfg.DBName = ""
	server, err := sql.Open("mysql", cfg.FormatDSN())
	if err != nil {
		return err
	}
	defer server.Close()
	if _, err := server.ExecContext(ctx, "CREATE DATABASE IF NOT EXISTS `"+name+"` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"); err != nil {
		return fmt.Errorf("gen-sample: create database %q on %s: %w", name, cfg.Addr, err)
	}
	return nil
}

func sampleSchemaExists(ctx context.Context, db *sql.DB) (bool, error) {
	rows, err := db.QueryContext(ctx, "SELECT 1 FROM hs_hoso LIMIT 1")
	if err != nil {
		// Both drivers say "no such table"/"doesn't exist"; any other
		// problem shows up again, with its own message, on the next query.
		msg := strings.ToLower(err.Error())
		if strings.Contains(msg, "no such table") || strings.Contains(msg, "doesn't exist") {
			return false, nil
		}
		return false, fmt.Errorf("gen-sample: look for table hs_hoso: %w", err)
	}
	return true, rows.Close()
}

func countSampleRows(ctx context.Context, db *sql.DB) (map[string]int64, error) {
	counts := map[string]int64{}
	for _, t := range sampleTables {
		var n int64
		if err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+t).Scan(&n); err != nil {
			return nil, fmt.Errorf("gen-sample: count rows of %s (was the schema created by gen-sample?): %w", t, err)
		}
		counts[t] = n
	}
	return counts, nil
}

func resetSampleTables(ctx context.Context, db *sql.DB, driverName string) error {
	verb := "TRUNCATE TABLE "
	if driverName == "sqlite" {
		verb = "DELETE FROM "
	}
	for _, t := range sampleTables {
		if _, err := db.ExecContext(ctx, verb+t); err != nil {
			return fmt.Errorf("gen-sample: empty table %s: %w", t, err)
		}
	}
	return nil
}

// sampleStart is the first receipt day: --start, else the day after the
// latest update when appending (so new dossier codes and cursor times come
// after the existing ones), else sampledata's default.
func sampleStart(ctx context.Context, db *sql.DB, o genSampleOptions, appending bool) (time.Time, error) {
	const opening = 7*time.Hour + 30*time.Minute
	if o.Start != "" {
		d, _ := time.ParseInLocation("2006-01-02", o.Start, vietnamZone) // validated
		return d.Add(opening), nil
	}
	if !appending {
		return time.Date(2026, 9, 1, 7, 30, 0, 0, vietnamZone), nil
	}
	var latest sql.NullString
	if err := db.QueryRowContext(ctx, "SELECT MAX(ngay_cap_nhat) FROM hs_hoso").Scan(&latest); err != nil {
		return time.Time{}, fmt.Errorf("gen-sample: latest ngay_cap_nhat of hs_hoso: %w", err)
	}
	t, err := time.ParseInLocation("2006-01-02 15:04:05", latest.String, vietnamZone)
	if err != nil {
		return time.Time{}, fmt.Errorf("gen-sample: latest ngay_cap_nhat %q of hs_hoso is not a timestamp; give --start YYYY-MM-DD: %w", latest.String, err)
	}
	y, m, d := t.Date()
	return time.Date(y, m, d+1, 0, 0, 0, 0, vietnamZone).Add(opening), nil
}

// genProgress shows how many dossiers are written: a bar on a terminal,
// a line every tenth of the work otherwise (logs of scripts).
type genProgress struct {
	bar   *progressbar.ProgressBar
	w     io.Writer
	total int
	start time.Time

	mu          sync.Mutex
	done        int
	nextPercent int
}

func newGenProgress(w io.Writer, total int) *genProgress {
	p := &genProgress{w: w, total: total, start: time.Now(), nextPercent: 10}
	if isTerminal(w) {
		p.bar = progressbar.NewOptions64(int64(total),
			progressbar.OptionSetWriter(w),
			progressbar.OptionSetDescription("hồ sơ / dossiers"),
			progressbar.OptionShowCount(),
			progressbar.OptionShowIts(),
			progressbar.OptionSetItsString("hồ sơ"),
			progressbar.OptionSetPredictTime(true),
			progressbar.OptionThrottle(200*time.Millisecond),
			progressbar.OptionSetWidth(30),
			progressbar.OptionOnCompletion(func() { fmt.Fprintln(w) }),
		)
	}
	return p
}

func (p *genProgress) add(n int) {
	if p.bar != nil {
		_ = p.bar.Add(n)
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done += n
	if p.done*100 < p.nextPercent*p.total {
		return
	}
	percent := p.done * 100 / p.total
	rate := float64(p.done) / max(time.Since(p.start).Seconds(), 1e-9)
	fmt.Fprintf(p.w, "gen-sample: %d/%d hồ sơ / dossiers (%d%%), %.0f/s\n", p.done, p.total, percent, rate)
	p.nextPercent = percent/10*10 + 10
}

func (p *genProgress) finish(ok bool) {
	if p.bar == nil {
		return
	}
	if ok {
		_ = p.bar.Finish()
		return
	}
	_ = p.bar.Exit()
	fmt.Fprintln(p.w)
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// genHooks sit between sampledata.Generate and the database driver. They
// group the generator's multi-row INSERTs into transactions, count the
// dossiers written, and when appending shift every generated id past the
// existing rows (sampledata numbers rows from 1).
type genHooks struct {
	commitEvery int
	onDossiers  func(n int)
	// offsets[table][column] is added to that integer column of every
	// generated row.
	offsets   map[string]map[string]int64
	appending bool

	committedDossiers atomic.Int64

	mu    sync.Mutex
	conns []*genConn
}

// planAppend sets id offsets so generated rows follow the existing ones.
func (h *genHooks) planAppend(ctx context.Context, db *sql.DB) error {
	maxID := map[string]int64{}
	for _, t := range sampleTables {
		var n sql.NullInt64
		if err := db.QueryRowContext(ctx, "SELECT MAX(id) FROM "+t).Scan(&n); err != nil {
			return fmt.Errorf("gen-sample: highest id of %s: %w", t, err)
		}
		maxID[t] = n.Int64
	}
	h.appending = true
	h.offsets = map[string]map[string]int64{
		"hs_hoso":      {"id": maxID["hs_hoso"]},
		"hs_qua_trinh": {"id": maxID["hs_qua_trinh"], "hoso_id": maxID["hs_hoso"]},
		"hs_tai_lieu":  {"id": maxID["hs_tai_lieu"], "hoso_id": maxID["hs_hoso"]},
	}
	return nil
}

func (h *genHooks) commitAll(ctx context.Context) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, c := range h.conns {
		if err := c.commit(ctx); err != nil {
			return err
		}
	}
	return nil
}

func (h *genHooks) rollbackAll() {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, c := range h.conns {
		c.rollback()
	}
}

// genConnector opens driver connections wrapped in genConn.
type genConnector struct {
	drv   driver.Driver
	dsn   string
	hooks *genHooks
}

func (c *genConnector) Connect(ctx context.Context) (driver.Conn, error) {
	var (
		conn driver.Conn
		err  error
	)
	if dc, ok := c.drv.(driver.DriverContext); ok {
		var inner driver.Connector
		if inner, err = dc.OpenConnector(c.dsn); err != nil {
			return nil, err
		}
		conn, err = inner.Connect(ctx)
	} else {
		conn, err = c.drv.Open(c.dsn)
	}
	if err != nil {
		return nil, err
	}
	exec, ok := conn.(driver.ExecerContext)
	if !ok {
		_ = conn.Close()
		return nil, errors.New("gen-sample: the database driver cannot execute statements directly")
	}
	gc := &genConn{Conn: conn, exec: exec, hooks: c.hooks}
	gc.query, _ = conn.(driver.QueryerContext)
	c.hooks.mu.Lock()
	c.hooks.conns = append(c.hooks.conns, gc)
	c.hooks.mu.Unlock()
	return gc, nil
}

func (c *genConnector) Driver() driver.Driver { return c.drv }

// genConn is one database connection under genHooks. database/sql uses a
// connection from one goroutine at a time, so its fields need no lock.
type genConn struct {
	driver.Conn
	exec  driver.ExecerContext
	query driver.QueryerContext
	hooks *genHooks

	inTx             bool
	statements       int // INSERTs in the open transaction
	uncommittedRows  int // dossiers in the open transaction
	insertShapeCache map[string]insertShape
}

// insertShape is what genConn needs to know about a multi-row INSERT.
type insertShape struct {
	table string
	ncol  int
	shift map[int]int64 // column index → id offset
}

func (c *genConn) QueryContext(ctx context.Context, q string, args []driver.NamedValue) (driver.Rows, error) {
	if c.query == nil {
		return nil, driver.ErrSkip
	}
	return c.query.QueryContext(ctx, q, args)
}

func (c *genConn) ExecContext(ctx context.Context, q string, args []driver.NamedValue) (driver.Result, error) {
	shape, isInsert := c.shape(q)
	if !isInsert {
		return c.exec.ExecContext(ctx, q, args)
	}
	if len(args)%shape.ncol != 0 {
		return nil, fmt.Errorf("gen-sample: %d values for %d columns of %s", len(args), shape.ncol, shape.table)
	}
	rows := len(args) / shape.ncol
	for col, off := range shape.shift {
		for r := 0; r < rows; r++ {
			v := &args[r*shape.ncol+col]
			id, ok := v.Value.(int64)
			if !ok {
				return nil, fmt.Errorf("gen-sample: %s column %d holds %T, not an integer id", shape.table, col, v.Value)
			}
			v.Value = id + off
		}
	}
	if !c.inTx {
		if _, err := c.exec.ExecContext(ctx, "BEGIN", nil); err != nil {
			return nil, fmt.Errorf("gen-sample: begin transaction: %w", err)
		}
		c.inTx = true
	}
	res, err := c.exec.ExecContext(ctx, q, args)
	if err != nil {
		return nil, err
	}
	c.statements++
	if shape.table == "hs_hoso" {
		c.uncommittedRows += rows
		if c.hooks.onDossiers != nil {
			c.hooks.onDossiers(rows)
		}
	}
	if c.statements >= c.hooks.commitEvery {
		if err := c.commit(ctx); err != nil {
			return nil, err
		}
	}
	return res, nil
}

// shape recognises "INSERT INTO table (col, …) VALUES …" and remembers,
// per table, its column count and the id columns to shift.
func (c *genConn) shape(q string) (insertShape, bool) {
	const prefix = "INSERT INTO "
	if !strings.HasPrefix(q, prefix) {
		return insertShape{}, false
	}
	open := strings.IndexByte(q, '(')
	closing := strings.IndexByte(q, ')')
	if open < 0 || closing < open {
		return insertShape{}, false
	}
	head := q[:closing]
	if s, ok := c.insertShapeCache[head]; ok {
		return s, true
	}
	s := insertShape{table: strings.TrimSpace(q[len(prefix):open]), shift: map[int]int64{}}
	cols := strings.Split(q[open+1:closing], ",")
	s.ncol = len(cols)
	for i, col := range cols {
		if off := c.hooks.offsets[s.table][strings.TrimSpace(col)]; off != 0 {
			s.shift[i] = off
		}
	}
	if c.insertShapeCache == nil {
		c.insertShapeCache = map[string]insertShape{}
	}
	c.insertShapeCache[head] = s
	return s, true
}

func (c *genConn) commit(ctx context.Context) error {
	if !c.inTx {
		return nil
	}
	if _, err := c.exec.ExecContext(ctx, "COMMIT", nil); err != nil {
		return fmt.Errorf("gen-sample: commit: %w", err)
	}
	c.hooks.committedDossiers.Add(int64(c.uncommittedRows))
	c.inTx, c.statements, c.uncommittedRows = false, 0, 0
	return nil
}

func (c *genConn) rollback() {
	if c.inTx {
		_, _ = c.exec.ExecContext(context.Background(), "ROLLBACK", nil)
		c.inTx, c.statements, c.uncommittedRows = false, 0, 0
	}
}

var (
	_ driver.Connector      = (*genConnector)(nil)
	_ driver.ExecerContext  = (*genConn)(nil)
	_ driver.QueryerContext = (*genConn)(nil)
)
