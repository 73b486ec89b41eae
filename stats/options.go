package stats

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// DefaultZone is the zone periods and calendar days are read in.
const DefaultZone = "Asia/Ho_Chi_Minh"

// Comparison is how a finish time is compared with the due date.
type Comparison string

const (
	// CompareDay compares calendar days in the statistics' zone: a dossier
	// finished any time on its due day is on time. This is how the vendor
	// described in SPEC-legal §4.1 reads Decision 766, and the default.
	CompareDay Comparison = "day"
	// CompareInstant compares instants: finished at or before the due
	// instant is on time, one second after is late.
	CompareInstant Comparison = "instant"
)

// DeadlineBasis says whether non-working days move a deadline.
type DeadlineBasis string

const (
	// BasisCalendar takes NgayHenTra as it is (the default): the legacy
	// software computed it, working days included.
	BasisCalendar DeadlineBasis = "calendar"
	// BasisWorkingDays moves a due date that falls on a weekend day or a
	// holiday to the end of the next working day, as the Civil Code does
	// for time limits ending on a day off.
	BasisWorkingDays DeadlineBasis = "working_days"
)

// Date is a civil date (a holiday), without time or zone.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// ParseDate reads a date written YYYY-MM-DD.
func ParseDate(s string) (Date, error) {
	t, err := time.Parse("2006-01-02", strings.TrimSpace(s))
	if err != nil {
		return Date{}, fmt.Errorf("%q is not a date written YYYY-MM-DD", s)
	}
	return DateOf(t), nil
}

// DateOf is the civil date of t in t's own zone.
func DateOf(t time.Time) Date {
	y, m, d := t.Date()
	return Date{y, m, d}
}

// String writes the date as YYYY-MM-DD.
func (d Date) String() string { return fmt.Sprintf("%04d-%02d-%02d", d.Year, int(d.Month), d.Day) }

// start is the first instant of the date in loc.
func (d Date) start(loc *time.Location) time.Time {
	return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, loc)
}

// next is the following day.
func (d Date) next() Date { return DateOf(time.Date(d.Year, d.Month, d.Day+1, 12, 0, 0, 0, time.UTC)) }

// StatusRules sort TrangThaiHoSo codes (SPEC-dvcqg §10.1) into what they
// mean for the statistics. A code in none of the lists makes the dossier
// uncountable (reported, never guessed).
type StatusRules struct {
	// Finished: processing has ended; the end time is NgayKetThucXuLy,
	// else NgayTra.
	Finished []string `mapstructure:"finished"`
	// Pending: still being processed (or paused) by the unit.
	Pending []string `mapstructure:"pending"`
	// NotReceived: never received for processing; counted nowhere.
	NotReceived []string `mapstructure:"not_received"`
}

// DefaultStatusRules are the rules docs/statistics.md explains:
// 7 withdrawn, 8 stopped, 9 resolved, 10 returned end processing; 2
// received, 4 processing, 5 supplement requested, 6 payment requested are
// pending; 1 registered online but not yet accepted and 3 refused at
// reception were never received.
func DefaultStatusRules() StatusRules {
	return StatusRules{
		Finished:    []string{"7", "8", "9", "10"},
		Pending:     []string{"2", "4", "5", "6"},
		NotReceived: []string{"1", "3"},
	}
}

func (r StatusRules) isZero() bool {
	return len(r.Finished) == 0 && len(r.Pending) == 0 && len(r.NotReceived) == 0
}

// statusClass is what a status code means here.
type statusClass int

const (
	statusUnknown statusClass = iota
	statusFinished
	statusPending
	statusNotReceived
)

// classes indexes the rules by code; it reports a code listed twice.
func (r StatusRules) classes(path string) (map[string]statusClass, []error) {
	out := map[string]statusClass{}
	var errs []error
	for _, l := range []struct {
		key   string
		codes []string
		class statusClass
	}{{"finished", r.Finished, statusFinished}, {"pending", r.Pending, statusPending}, {"not_received", r.NotReceived, statusNotReceived}} {
		for i, c := range l.codes {
			c = strings.TrimSpace(c)
			switch _, dup := out[c]; {
			case c == "":
				errs = append(errs, fmt.Errorf("%s.%s[%d]: is empty; write a TrangThaiHoSo code such as \"4\"", path, l.key, i))
			case dup:
				errs = append(errs, fmt.Errorf("%s.%s[%d]: status %q is listed twice; each code belongs to one list", path, l.key, i, c))
			default:
				out[c] = l.class
			}
		}
	}
	return out, errs
}

// Options decide how dossiers are counted. The zero value is the default
// of docs/statistics.md.
type Options struct {
	// Location is the zone of periods and calendar days; nil means
	// Asia/Ho_Chi_Minh.
	Location *time.Location
	// Compare is day (default) or instant.
	Compare Comparison
	// Basis is calendar (default) or working_days.
	Basis DeadlineBasis
	// Weekend lists the non-working weekdays of the working-days basis;
	// nil means Saturday and Sunday.
	Weekend []time.Weekday
	// Holidays are the non-working dates of the working-days basis.
	Holidays []Date
	// Statuses sort status codes; the zero value means DefaultStatusRules.
	Statuses StatusRules
	// UnitCode, UnitName and Note become Madonvi, TenDonVi and GhiChu.
	UnitCode, UnitName, Note string
}

// DefaultWeekend is the weekend of the working-days basis by default:
// Saturday and Sunday.
func DefaultWeekend() []time.Weekday { return []time.Weekday{time.Saturday, time.Sunday} }

// resolved is Options with defaults applied and lookups built.
type resolved struct {
	Options
	classes  map[string]statusClass
	weekend  [7]bool
	holidays map[Date]bool
}

func (o Options) resolve() (*resolved, error) {
	r := &resolved{Options: o, holidays: map[Date]bool{}}
	var errs []error
	if r.Location == nil {
		loc, err := time.LoadLocation(DefaultZone)
		if err != nil {
			return nil, fmt.Errorf("stats: load zone %s: %w", DefaultZone, err)
		}
		r.Location = loc
	}
	switch r.Compare {
	case "":
		r.Compare = CompareDay
	case CompareDay, CompareInstant:
	default:
		errs = append(errs, fmt.Errorf("compare %q: want day or instant", r.Compare))
	}
	switch r.Basis {
	case "":
		r.Basis = BasisCalendar
	case BasisCalendar, BasisWorkingDays:
	default:
		errs = append(errs, fmt.Errorf("deadline_basis %q: want calendar or working_days", r.Basis))
	}
	weekend := r.Weekend
	if weekend == nil {
		weekend = DefaultWeekend()
	}
	for _, d := range weekend {
		if d < time.Sunday || d > time.Saturday {
			errs = append(errs, fmt.Errorf("weekend: %d is not a weekday", int(d)))
			continue
		}
		r.weekend[d] = true
	}
	if !slices.Contains(r.weekend[:], false) {
		errs = append(errs, errors.New("weekend: every day of the week is a weekend day; leave at least one working day"))
	}
	for _, h := range r.Holidays {
		r.holidays[h] = true
	}
	rules := r.Statuses
	if rules.isZero() {
		rules = DefaultStatusRules()
	}
	classes, cerrs := rules.classes("statuses")
	errs = append(errs, cerrs...)
	r.classes = classes
	if len(errs) > 0 {
		return nil, fmt.Errorf("stats: %w", errors.Join(errs...))
	}
	return r, nil
}

// working reports whether d is a working day under the options.
func (r *resolved) working(d Date) bool {
	return !r.weekend[d.start(time.UTC).Weekday()] && !r.holidays[d]
}
