package stats

import (
	"testing"
	"time"
)

// October 2026: Thursday 1st; Friday 16, Saturday 17, Sunday 18, Monday
// 19, Tuesday 20, Friday 23, Monday 26.
func TestCalendarDaysLate(t *testing.T) {
	workingDays := Options{Location: hcm, Basis: BasisWorkingDays, Holidays: []Date{{2026, time.October, 20}}}
	tests := []struct {
		name      string
		o         Options
		due, end  string
		days      int
		wantMoved bool
	}{
		// Calendar basis, by day: anything on the due day is on time.
		{"due day, evening", Options{Location: hcm}, "2026-10-12 17:00", "2026-10-12 23:00", 0, false},
		{"exactly at the deadline", Options{Location: hcm, Compare: CompareInstant}, "2026-10-12 17:00", "2026-10-12 17:00", 0, false},
		{"next day", Options{Location: hcm}, "2026-10-12 17:00", "2026-10-13 08:00", 1, false},
		// 10-12 → 10-20: eight calendar days (13 … 20), weekend included.
		{"eight calendar days", Options{Location: hcm}, "2026-10-12 17:00", "2026-10-20 08:00", 8, false},
		// By instant, five hours late on the due day: late, and at least one day.
		{"hours late, same day", Options{Location: hcm, Compare: CompareInstant}, "2026-10-12 10:00", "2026-10-12 15:00", 1, false},
		{"no due date", Options{Location: hcm}, "", "2026-10-12 15:00", 0, false},
		// Working days: due Friday 16, finished Monday 19 → one working day (19).
		{"over a weekend", workingDays, "2026-10-16 17:00", "2026-10-19 09:00", 1, false},
		// Due Saturday 17 moves to Monday 19: Monday is on time …
		{"moved, met", workingDays, "2026-10-17 12:00", "2026-10-19 16:00", 0, true},
		// … Tuesday 20 is a holiday, Wednesday 21 is one working day late.
		{"moved, past a holiday", workingDays, "2026-10-17 12:00", "2026-10-21 09:00", 1, true},
		// Finished on the holiday itself: late, no working day passed → 1.
		{"finished on a day off", workingDays, "2026-10-19 17:00", "2026-10-20 09:00", 1, false},
		// Due Fri 2 → finished Mon 26: 24 days (3 … 26), minus four weekends
		// (3–4, 10–11, 17–18, 24–25: 8 days), minus the holiday 20 = 15.
		{"three weeks", workingDays, "2026-10-02 17:00", "2026-10-26 09:00", 15, false},
	}
	for _, tc := range tests {
		c, err := NewCalendar(tc.o)
		if err != nil {
			t.Fatal(err)
		}
		days, moved := c.DaysLate(at(tc.due).Time, at(tc.end).Time)
		if days != tc.days || moved != tc.wantMoved {
			t.Errorf("%s: DaysLate = %d, moved %v; want %d, %v", tc.name, days, moved, tc.days, tc.wantMoved)
		}
	}
	if _, err := NewCalendar(Options{Basis: "lunar"}); err == nil {
		t.Error("NewCalendar accepted an unknown basis")
	}
}

// The arithmetic count of working days agrees with walking day by day.
func TestDaysAfterMatchesAWalk(t *testing.T) {
	r, err := Options{Location: hcm, Basis: BasisWorkingDays, Weekend: []time.Weekday{time.Sunday},
		Holidays: []Date{{2026, time.January, 1}, {2026, time.April, 30}, {2026, time.May, 1}, {2026, time.May, 3}}}.resolve()
	if err != nil {
		t.Fatal(err)
	}
	from := Date{2025, time.December, 20}
	for span := 0; span < 200; span++ {
		to := from
		walk := 0
		for range span {
			to = to.next()
			if r.working(to) {
				walk++
			}
		}
		if got := r.daysAfter(from, to); got != walk {
			t.Fatalf("daysAfter(%s, %s) = %d, walking gives %d", from, to, got, walk)
		}
	}
}
