package stats

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// PeriodKind says how long a period is.
type PeriodKind int

// Period kinds. Only monthly figures have a known LoaiThongKe ("1"), so
// only they can be sent; quarters and years can be computed and printed.
const (
	Monthly PeriodKind = iota + 1
	Quarterly
	Yearly
)

func (k PeriodKind) String() string {
	switch k {
	case Monthly:
		return "month"
	case Quarterly:
		return "quarter"
	case Yearly:
		return "year"
	}
	return fmt.Sprintf("PeriodKind(%d)", int(k))
}

// Period is a reporting period: the half-open interval [Start, End) of
// local time in the statistics' zone.
type Period struct {
	Kind PeriodKind
	Year int
	// Index is the month (1–12) of a monthly period, the quarter (1–4) of
	// a quarterly one, 0 for a year.
	Index int
	Start time.Time // first instant of the period
	End   time.Time // first instant after the period
}

// MonthPeriod is the calendar month of year in loc.
func MonthPeriod(year int, month time.Month, loc *time.Location) Period {
	start := time.Date(year, month, 1, 0, 0, 0, 0, loc)
	return Period{Kind: Monthly, Year: start.Year(), Index: int(start.Month()), Start: start, End: start.AddDate(0, 1, 0)}
}

// QuarterPeriod is quarter q (1–4) of year in loc.
func QuarterPeriod(year, q int, loc *time.Location) Period {
	start := time.Date(year, time.Month(3*(q-1)+1), 1, 0, 0, 0, 0, loc)
	return Period{Kind: Quarterly, Year: year, Index: q, Start: start, End: start.AddDate(0, 3, 0)}
}

// YearPeriod is the calendar year in loc.
func YearPeriod(year int, loc *time.Location) Period {
	start := time.Date(year, time.January, 1, 0, 0, 0, 0, loc)
	return Period{Kind: Yearly, Year: year, Start: start, End: start.AddDate(1, 0, 0)}
}

// PreviousMonth is the month before the one now falls in, in loc: what
// the job on the 1st of a month reports.
func PreviousMonth(now time.Time, loc *time.Location) Period {
	now = now.In(loc)
	return MonthPeriod(now.Year(), now.Month()-1, loc)
}

// Contains reports whether t lies in the period.
func (p Period) Contains(t time.Time) bool { return !t.Before(p.Start) && t.Before(p.End) }

// String writes the period as ParsePeriod reads it: 2026-10, 2026-Q4, 2026.
func (p Period) String() string {
	switch p.Kind {
	case Monthly:
		return fmt.Sprintf("%04d-%02d", p.Year, p.Index)
	case Quarterly:
		return fmt.Sprintf("%04d-Q%d", p.Year, p.Index)
	case Yearly:
		return fmt.Sprintf("%04d", p.Year)
	}
	return "invalid period"
}

// Years the parser accepts: legacy one-stop data starts in the 2000s, and
// a wider range only lets typos through.
const (
	minYear = 2000
	maxYear = 2100
)

// ParsePeriod reads a period written YYYY-MM (a month), YYYY-Qn (a
// quarter) or YYYY (a year), in loc.
func ParsePeriod(s string, loc *time.Location) (Period, error) {
	in := strings.TrimSpace(s)
	bad := func(why string) (Period, error) {
		return Period{}, fmt.Errorf("period %q: %s; write a month as 2026-10, a quarter as 2026-Q4 or a year as 2026", s, why)
	}
	yearText, rest, hasRest := strings.Cut(in, "-")
	year, ok := parseDigits(yearText, 4)
	if !ok {
		return bad("the year must be 4 digits")
	}
	if year < minYear || year > maxYear {
		return bad(fmt.Sprintf("the year must be between %d and %d", minYear, maxYear))
	}
	switch {
	case !hasRest:
		return YearPeriod(year, loc), nil
	case len(rest) == 2 && (rest[0] == 'Q' || rest[0] == 'q'):
		q, ok := parseDigits(rest[1:], 1)
		if !ok || q < 1 || q > 4 {
			return bad("the quarter must be Q1 to Q4")
		}
		return QuarterPeriod(year, q, loc), nil
	default:
		m, ok := parseDigits(rest, 2)
		if !ok || m < 1 || m > 12 {
			return bad("the month must be 01 to 12")
		}
		return MonthPeriod(year, time.Month(m), loc), nil
	}
}

// parseDigits reads exactly n ASCII digits.
func parseDigits(s string, n int) (int, bool) {
	if len(s) != n {
		return 0, false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return 0, false
		}
	}
	v, err := strconv.Atoi(s)
	return v, err == nil
}
