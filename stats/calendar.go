package stats

import "time"

// Calendar is the deadline test of docs/statistics.md ("The deadline
// test") on its own, for code that must judge "on time" exactly as the
// figures do: the ratings package scores a dossier's time against its
// due date with it, so a dossier is never on time in one report and late
// in the other.
type Calendar struct{ r *resolved }

// NewCalendar checks o and returns its deadline test.
func NewCalendar(o Options) (*Calendar, error) {
	r, err := o.resolve()
	if err != nil {
		return nil, err
	}
	return &Calendar{r: r}, nil
}

// DaysLate says how late a finish at end is for a due date. It is 0 when
// the finish meets the deadline as TongXuLyDungHan counts it (a zero due
// is never late). Otherwise it is the number of days after the due day up
// to the finish day — every day on the calendar basis, working days only
// on the working-days basis, the due day being the moved one — and at
// least 1: a dossier finished hours late on its due day (instant
// comparison), or on a day off just after it, is one day late. moved
// reports that the due day was a day off (working-days basis).
func (c *Calendar) DaysLate(due, end time.Time) (days int, moved bool) {
	dl := c.r.deadline(due)
	if dl.meets(end) {
		return 0, dl.moved
	}
	day := DateOf(due.In(c.r.Location))
	if c.r.Basis == BasisWorkingDays {
		for !c.r.working(day) {
			day = day.next()
		}
	}
	return max(c.r.daysAfter(day, DateOf(end.In(c.r.Location))), 1), dl.moved
}

// daysAfter counts the days of (from, to]: all of them on the calendar
// basis, the working ones on the working-days basis. Arithmetic, not a
// walk, so a wild date in legacy data costs nothing.
func (r *resolved) daysAfter(from, to Date) int {
	n := int(to.ordinal() - from.ordinal())
	if n <= 0 {
		return 0
	}
	if r.Basis != BasisWorkingDays {
		return n
	}
	off := 0
	for _, w := range r.weekend {
		if w {
			off++
		}
	}
	off *= n / 7 // each full week holds every weekday once
	d := from
	for range n % 7 {
		d = d.next()
		if r.weekend[d.start(time.UTC).Weekday()] {
			off++
		}
	}
	for h := range r.holidays {
		if h.ordinal() > from.ordinal() && h.ordinal() <= to.ordinal() && !r.weekend[h.start(time.UTC).Weekday()] {
			off++
		}
	}
	return n - off
}

// ordinal numbers days consecutively (days since 1970-01-01).
func (d Date) ordinal() int64 { return d.start(time.UTC).Unix() / 86400 }
