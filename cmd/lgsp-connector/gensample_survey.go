package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5"
	_ "github.com/jackc/pgx/v5/stdlib" // driver "pgx" for --survey-driver postgres

	"github.com/hcmc-lgsp/lgsp-connector/internal/sampledata"
)

// gen-sample's survey part: with --ratings the sample's satisfaction
// answers go into the survey vendor's own database (--survey-dsn), about
// the dossiers written in the same run, so the one-stop database and the
// survey database belong together.

// surveyRequested reports whether any survey row was asked for.
func (o genSampleOptions) surveyRequested() bool {
	return o.Ratings != 0 || o.UnmappedOfficers != 0 || o.UnmappedCriteria != 0 || o.Resends != 0
}

// validateSurvey checks the survey flags.
func (o genSampleOptions) validateSurvey() []error {
	var errs []error
	if o.Ratings < 0 || o.UnmappedOfficers < 0 || o.UnmappedCriteria < 0 || o.Resends < 0 {
		errs = append(errs, fmt.Errorf("--ratings %d --unmapped-officers %d --unmapped-criteria %d --resends %d: no count may be negative",
			o.Ratings, o.UnmappedOfficers, o.UnmappedCriteria, o.Resends))
	}
	switch {
	case o.surveyRequested() && o.SurveyDSN == "":
		errs = append(errs, errors.New("--ratings, --unmapped-officers, --unmapped-criteria and --resends write the survey database: give it with --survey-dsn"))
	case !o.surveyRequested() && o.SurveyDSN != "":
		errs = append(errs, errors.New("--survey-dsn is given but no survey row is asked for: add --ratings N"))
	case o.Resends > 0 && o.Ratings+o.UnmappedOfficers+o.UnmappedCriteria == 0:
		errs = append(errs, fmt.Errorf("--resends %d re-sends answers, but none is written: add --ratings N", o.Resends))
	}
	if d := o.surveyDriver(); o.SurveyDSN != "" && d != "mysql" && d != "postgres" && d != "sqlite" {
		errs = append(errs, fmt.Errorf("--survey-driver %q: want mysql, postgres or sqlite", d))
	}
	return errs
}

// surveyDriver is --survey-driver, or --driver when it is not given.
func (o genSampleOptions) surveyDriver() string {
	if o.SurveyDriver != "" {
		return o.SurveyDriver
	}
	return o.Driver
}

// surveySummary is what gen-sample reports of the survey database.
type surveySummary struct {
	Driver, Database string
	Stats            sampledata.SurveyStats
	Reset            bool
}

func (s *surveySummary) print(w io.Writer) {
	if s == nil {
		return
	}
	st := s.Stats
	mode := "bảng trống / empty table"
	if s.Reset {
		mode = "đã xóa dữ liệu cũ / existing rows deleted first"
	}
	fmt.Fprintf(w, "Khảo sát hài lòng / satisfaction survey: %s database %q, table %s (%s)\n", s.Driver, s.Database, sampledata.SurveyTable, mode)
	fmt.Fprintf(w, "  phiếu / rows:            %d, ids 1–%d\n", st.Rows, st.Rows)
	fmt.Fprintf(w, "  đánh giá hợp lệ / good ratings: %d (%d about a dossier)\n", st.Ratings, st.AboutDossiers)
	fmt.Fprintf(w, "  ki-ốt gửi lại / kiosk re-sends: %d of good ratings (dropped as duplicates), %d of unmappable ones\n", st.Resent, st.ResentUnmapped)
	fmt.Fprintf(w, "  không ánh xạ được / unmappable rows: %d with an unknown officer (MaCanBo), %d with an unknown question (MaTieuChi)\n",
		st.UnmappedOfficer, st.UnmappedCriterion)
	fmt.Fprintf(w, "  mã cán bộ đã biết / known officer ids: %s; câu hỏi / questions: %s\n", knownOfficers(), knownQuestions())
}

func knownOfficers() string {
	var parts []string
	for _, o := range sampledata.SurveyOfficers {
		parts = append(parts, o.Vendor+"→"+o.Code)
	}
	return strings.Join(parts, ", ")
}

func knownQuestions() string {
	var parts []string
	for _, q := range sampledata.SurveyQuestions {
		c := q.Criterion
		if c == "" {
			c = "(tổng thể / overall)"
		}
		parts = append(parts, q.Code+"→"+c)
	}
	return strings.Join(parts, ", ")
}

// surveyTarget is the survey database, connected and checked, before
// anything is written anywhere.
type surveyTarget struct {
	driver, dbName string
	dialect        sampledata.Dialect
	db             *sql.DB
	hooks          *genHooks
	reset          bool
}

// prepareSurvey connects to the survey database and makes sure the run
// can write into it: the table exists (or --create-schema creates it) and
// is empty (or --reset empties it). It returns nil when no survey is
// asked for.
func prepareSurvey(ctx context.Context, o genSampleOptions) (*surveyTarget, error) {
	if !o.surveyRequested() {
		return nil, nil
	}
	s := &surveyTarget{driver: o.surveyDriver()}
	sqlDriver, dsn := s.driver, o.SurveyDSN
	switch s.driver {
	case "sqlite":
		s.dialect = sampledata.SQLite
		s.dbName = strings.TrimPrefix(dsn, "file:")
		if i := strings.IndexByte(s.dbName, '?'); i >= 0 {
			s.dbName = s.dbName[:i]
		}
	case "mysql":
		cfg, err := mysql.ParseDSN(dsn)
		if err != nil {
			return nil, fmt.Errorf("--survey-dsn is not a MySQL DSN (want user:password@tcp(host:3306)/database): %w", err)
		}
		if cfg.DBName == "" {
			return nil, errors.New("--survey-dsn names no database: add it after the slash, e.g. root@tcp(127.0.0.1:3306)/khao_sat")
		}
		cfg.InterpolateParams = true
		s.dialect, s.dbName, dsn = sampledata.MySQL, cfg.DBName, cfg.FormatDSN()
		if o.CreateSchema {
			if err := createMySQLDatabase(ctx, dsn); err != nil {
				return nil, err
			}
		}
	case "postgres":
		cfg, err := pgx.ParseConfig(dsn)
		if err != nil {
			return nil, errors.New("--survey-dsn is not a PostgreSQL DSN (want postgres://user:password@host:5432/database?sslmode=disable)")
		}
		s.dialect, s.dbName, sqlDriver = sampledata.Postgres, cfg.Database, "pgx"
	}
	plain, err := sql.Open(sqlDriver, dsn)
	if err != nil {
		return nil, fmt.Errorf("gen-sample: open %s survey database %q: %w", s.driver, s.dbName, err)
	}
	s.hooks = &genHooks{commitEvery: o.CommitEvery}
	s.db = sql.OpenDB(&genConnector{drv: plain.Driver(), dsn: dsn, hooks: s.hooks})
	_ = plain.Close()
	s.db.SetMaxOpenConns(1) // the hooks' transaction belongs to one connection
	fail := func(err error) (*surveyTarget, error) {
		_ = s.db.Close()
		return nil, err
	}
	if err := s.db.PingContext(ctx); err != nil {
		return fail(fmt.Errorf("gen-sample: connect to %s survey database %q: %w", s.driver, s.dbName, err))
	}
	var n int64
	err = s.db.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+sampledata.SurveyTable).Scan(&n)
	switch {
	case err != nil && !isMissingTable(err):
		return fail(fmt.Errorf("gen-sample: count rows of %s in survey database %q: %w", sampledata.SurveyTable, s.dbName, err))
	case err != nil && !o.CreateSchema:
		return fail(fmt.Errorf("gen-sample: survey database %q has no table %s: add --create-schema to create it", s.dbName, sampledata.SurveyTable))
	case err != nil:
		if err := sampledata.CreateSurveySchema(ctx, s.db, s.dialect); err != nil {
			return fail(fmt.Errorf("gen-sample: survey database %q: %w", s.dbName, err))
		}
	case n > 0 && !o.Reset:
		// Appending would need ids and ma_phieu after the existing ones;
		// a survey sample is small enough to write again.
		return fail(fmt.Errorf("gen-sample: survey database %q is not empty: %s has %d rows; add --reset to delete them first (ratings cannot be appended)", s.dbName, sampledata.SurveyTable, n))
	case n > 0:
		verb := "TRUNCATE TABLE "
		if s.driver == "sqlite" {
			verb = "DELETE FROM "
		}
		if _, err := s.db.ExecContext(ctx, verb+sampledata.SurveyTable); err != nil {
			return fail(fmt.Errorf("gen-sample: empty table %s of survey database %q: %w", sampledata.SurveyTable, s.dbName, err))
		}
		s.reset = true
	}
	return s, nil
}

// isMissingTable recognises the drivers' "no such table" errors.
func isMissingTable(err error) bool {
	msg := strings.ToLower(err.Error())
	return strings.Contains(msg, "no such table") || strings.Contains(msg, "doesn't exist") ||
		(strings.Contains(msg, "relation") && strings.Contains(msg, "does not exist"))
}

// generate writes the survey rows about the dossiers the one-stop options
// give, and commits them.
func (s *surveyTarget) generate(ctx context.Context, o genSampleOptions, dossiers sampledata.Options) (*surveySummary, error) {
	refs := sampledata.DossierRefs(dossiers)
	st, err := sampledata.GenerateSurvey(ctx, s.db, s.dialect, sampledata.SurveyOptions{
		Seed: o.Seed, Ratings: o.Ratings, UnmappedOfficers: o.UnmappedOfficers, UnmappedCriteria: o.UnmappedCriteria, Resends: o.Resends,
		Dossiers: refs, Start: dossiers.Start, Days: dossiers.Days,
	})
	if err == nil {
		err = s.hooks.commitAll(ctx)
	} else {
		s.hooks.rollbackAll()
	}
	if err != nil {
		return nil, fmt.Errorf("gen-sample: the dossiers are written, but not the survey database %q: %w; run again with --reset", s.dbName, err)
	}
	return &surveySummary{Driver: s.driver, Database: s.dbName, Stats: st, Reset: s.reset}, nil
}

func (s *surveyTarget) close() {
	if s != nil {
		_ = s.db.Close()
	}
}
