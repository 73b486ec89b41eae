package stats

import (
	"maps"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/hcmc-lgsp/lgsp-connector/packets"
)

// October 2026 with the defaults: calendar basis, deadlines compared by
// calendar day, period [2026-10-01 00:00, 2026-11-01 00:00) in Ho Chi Minh
// City. Each line says where the dossier counts and why; the totals below
// are the sums of these lines.
func TestOctoberFiguresByCalendarDay(t *testing.T) {
	fixtures := []fixture{
		// A01 received 10-02, due 10-09, ended 10-07: received; finished two days early → on time.
		{dossier("A01", "10", "2026-10-02 08:00", "2026-10-09 17:00", "2026-10-07 10:00", "2026-10-08 09:00"), "received, finished on time"},
		// A02 received 10-05, due 10-12 17:00, ended 10-12 16:59: received; finished on its due day → on time.
		{dossier("A02", "9", "2026-10-05 09:00", "2026-10-12 17:00", "2026-10-12 16:59", ""), "received, finished on time"},
		// A03 due 10-12 10:00, ended 10-12 15:00: received; hours after the due time but on the due day → on time by calendar day.
		{dossier("A03", "10", "2026-10-05 09:00", "2026-10-12 10:00", "2026-10-12 15:00", "2026-10-12 16:00"), "received, finished on time"},
		// A04 due 10-13, ended 10-14 08:00: received; finished the day after its due day → late.
		{dossier("A04", "10", "2026-10-06 09:00", "2026-10-13 17:00", "2026-10-14 08:00", "2026-10-14 09:00"), "received, finished late"},
		// A05 due 10-14 17:00, ended exactly 10-14 17:00: received; finished exactly at the deadline → on time.
		{dossier("A05", "9", "2026-10-07 09:00", "2026-10-14 17:00", "2026-10-14 17:00", ""), "received, finished on time"},
		// B01 received 09-20, due 09-30, still processing (4): carried over; pending at the end, due day long past → overdue.
		{dossier("B01", "4", "2026-09-20 09:00", "2026-09-30 17:00", "", ""), "carried over, pending overdue"},
		// B02 received 09-25, due 10-05, ended 10-03: carried over; finished in October before its due day → on time.
		{dossier("B02", "10", "2026-09-25 09:00", "2026-10-05 17:00", "2026-10-03 11:00", "2026-10-04 08:00"), "carried over, finished on time"},
		// B03 received 09-10, ended 09-28: finished before the period → outside (September's, not October's).
		{dossier("B03", "10", "2026-09-10 09:00", "2026-09-20 17:00", "2026-09-28 10:00", "2026-09-29 10:00"), "outside the period"},
		// B04 received 09-28, due 10-08, ended 10-20: carried over; finished in October after its due day → late.
		{dossier("B04", "9", "2026-09-28 09:00", "2026-10-08 17:00", "2026-10-20 09:00", ""), "carried over, finished late"},
		// C01 received 10-20, due 11-03, processing: received; pending, due after the period's end → within deadline.
		{dossier("C01", "4", "2026-10-20 09:00", "2026-11-03 17:00", "", ""), "received, pending within deadline"},
		// C02 received 10-10, due 10-24, supplement requested (5): received; pending (5 is paused, not finished), due passed → overdue.
		{dossier("C02", "5", "2026-10-10 09:00", "2026-10-24 17:00", "", ""), "received, pending overdue"},
		// C03 received 10-31 16:00, no due date, accepted (2): received; pending, no due date is never late → within deadline.
		{dossier("C03", "2", "2026-10-31 16:00", "", "", ""), "received, pending within deadline"},
		// C04 received 10-15, no due date, ended 10-16: received; finished, no due date is never late → on time.
		{dossier("C04", "10", "2026-10-15 09:00", "", "2026-10-16 10:00", "2026-10-16 11:00"), "received, finished on time"},
		// C05 received 10-25, due Sat 10-31, ended 11-02: received; finished only after the period → pending at the end; due day over → overdue.
		{dossier("C05", "10", "2026-10-25 09:00", "2026-10-31 17:00", "2026-11-02 09:00", "2026-11-02 10:00"), "received, pending overdue"},
		// C06 received 10-28, due exactly 11-01 00:00, processing: received; pending, finishing at the period's end would meet the due day → within deadline.
		{dossier("C06", "4", "2026-10-28 09:00", "2026-11-01 00:00", "", ""), "received, pending within deadline"},
		// D01 received 10-08, due 10-22, withdrawn (7) on 10-09: received; withdrawal ends processing → finished, before the due day → on time.
		{dossier("D01", "7", "2026-10-08 09:00", "2026-10-22 17:00", "2026-10-09 10:00", ""), "received, finished on time"},
		// D02 received 09-15, due 09-29, withdrawn 10-02: carried over; withdrawn after the due day → finished late.
		{dossier("D02", "7", "2026-09-15 09:00", "2026-09-29 17:00", "2026-10-02 10:00", ""), "carried over, finished late"},
		// D03 refused at reception (3): never received → excluded.
		{dossier("D03", "3", "2026-10-03 09:00", "2026-10-10 17:00", "2026-10-03 09:30", ""), "excluded: not_received"},
		// D04 registered online, not yet accepted (1): never received → excluded.
		{dossier("D04", "1", "2026-10-04 09:00", "", "", ""), "excluded: not_received"},
		// D05 received exactly 10-01 00:00, stopped (8) on 10-10, due 10-15: received (the start is inside); finished on time.
		{dossier("D05", "8", "2026-10-01 00:00", "2026-10-15 17:00", "2026-10-10 10:00", ""), "received, finished on time"},
		// E01 received exactly 11-01 00:00: the end is outside → outside.
		{dossier("E01", "4", "2026-11-01 00:00", "2026-11-10 17:00", "", ""), "outside the period"},
		// E02 received 11-05: after the period → outside.
		{dossier("E02", "4", "2026-11-05 09:00", "2026-11-12 17:00", "", ""), "outside the period"},
		// E03 result handed over (10) with NgayTra 10-15 but no NgayKetThucXuLy, due 10-16: received; ended at NgayTra → on time.
		{dossier("E03", "10", "2026-10-09 09:00", "2026-10-16 17:00", "", "2026-10-15 10:00"), "received, finished on time"},
		// E04 resolved (9) with no end date at all: when it ended is unknown → excluded.
		{dossier("E04", "9", "2026-10-09 09:00", "2026-10-16 17:00", "", ""), "excluded: finished_without_end_date"},
		// E05 status "11" is in no rule → excluded, never guessed.
		{dossier("E05", "11", "2026-10-09 09:00", "2026-10-16 17:00", "", ""), "excluded: unknown_status"},
		// E06 no NgayTiepNhan: cannot be placed in time → excluded.
		{dossier("E06", "4", "", "2026-10-16 17:00", "", ""), "excluded: no_receipt_date"},
		// A01 again (the legacy query returned it twice): the first one counted → excluded.
		{dossier("A01", "10", "2026-10-02 08:00", "2026-10-09 17:00", "2026-10-07 10:00", ""), "excluded: duplicate_mahoso"},
		// E07 received 10-20, due 10-27, "ended" 10-19 (before its receipt): ends on receipt 10-20 → received; finished on time.
		{dossier("E07", "10", "2026-10-20 09:00", "2026-10-27 17:00", "2026-10-19 10:00", "2026-10-21 10:00"), "received, finished on time"},
		// E08 received 09-01, due 09-15, processing (4) but with an end date 09-10 (reopened): the status decides → carried over, pending overdue.
		{dossier("E08", "4", "2026-09-01 09:00", "2026-09-15 17:00", "2026-09-10 10:00", ""), "carried over, pending overdue"},
	}
	r := run(t, october2026, Options{UnitCode: "000.00.12.H29", UnitName: "UBND phường Sài Gòn"}, fixtures)

	// received: A01 A02 A03 A04 A05 C01 C02 C03 C04 C05 C06 D01 D05 E03 E07 = 15
	// carried over: B01 B02 B04 D02 E08 = 5; total 20
	// finished: on time A01 A02 A03 A05 B02 C04 D01 D05 E03 E07 = 10, late A04 B04 D02 = 3; 13
	// pending: within C01 C03 C06 = 3, overdue B01 C02 C05 E08 = 4; 7
	want := counts{received: 15, carried: 5, total: 20, finished: 13, onTime: 10, late: 3, pending: 7, within: 3, overdue: 4}
	if got := countsOf(r.Figures); got != want {
		t.Errorf("figures %+v, want %+v", got, want)
	}
	// 10/13 = 76.923…, 3/13 = 23.076…, 3/7 = 42.857…, 4/7 = 57.142…
	if got, want := percentsOf(r.Figures), [4]string{"76.92", "23.08", "42.86", "57.14"}; got != want {
		t.Errorf("percentages %v, want %v", got, want)
	}
	if r.Read != 29 || r.Outside != 3 {
		t.Errorf("read %d, outside %d; want 29 and 3 (B03 E01 E02)", r.Read, r.Outside)
	}
	wantExcluded := map[Reason]int{ReasonNotReceived: 2, ReasonNoEndDate: 1, ReasonUnknownStatus: 1, ReasonNoReceiptDate: 1, ReasonDuplicate: 1}
	if !maps.Equal(r.Excluded, wantExcluded) {
		t.Errorf("excluded %v, want %v", r.Excluded, wantExcluded)
	}
	// C03 and C04 have no due date; E07 ended before its receipt; E08 is pending with an end date.
	if r.NoDueDate != 2 || r.EndBeforeReceipt != 1 || r.PendingWithEndDate != 1 || r.DeadlineMoved != 0 {
		t.Errorf("no due date %d, end before receipt %d, pending with end date %d, moved %d; want 2, 1, 1, 0",
			r.NoDueDate, r.EndBeforeReceipt, r.PendingWithEndDate, r.DeadlineMoved)
	}
	f := r.Figures
	if f.Thang != 10 || f.Nam != 2026 || f.LoaiThongKe != "1" || f.Madonvi != "000.00.12.H29" || f.TenDonVi != "UBND phường Sài Gòn" {
		t.Errorf("identity Thang=%d Nam=%d LoaiThongKe=%q Madonvi=%q TenDonVi=%q", f.Thang, f.Nam, f.LoaiThongKe, f.Madonvi, f.TenDonVi)
	}
}

// October 2026 begins on a Thursday: Saturday 10 and Saturday 31 are
// weekend days, and the unit lists Tuesday 13 October as a holiday. Each
// dossier is counted under both bases; compare by calendar day.
func TestDeadlineOnDaysOff(t *testing.T) {
	type pair struct{ calendar, working string }
	cases := []struct {
		d    *packets.Dossier
		want pair
	}{
		// W1 due Tue 10-13 (holiday), ended Wed 10-14: working days move the deadline to the end of 10-14 → on time; by calendar, late.
		{dossier("W1", "10", "2026-10-06 09:00", "2026-10-13 17:00", "2026-10-14 09:00", ""), pair{"received, finished late", "received, finished on time"}},
		// W2 due Tue 10-13 (holiday), ended Thu 10-15: moved to 10-14 and still missed → late under both.
		{dossier("W2", "10", "2026-10-06 09:00", "2026-10-13 17:00", "2026-10-15 09:00", ""), pair{"received, finished late", "received, finished late"}},
		// W3 due Sat 10-10, ended Mon 10-12 16:00: moved over the weekend to Mon 10-12 → on time; by calendar, late.
		{dossier("W3", "9", "2026-10-05 09:00", "2026-10-10 17:00", "2026-10-12 16:00", ""), pair{"received, finished late", "received, finished on time"}},
		// W4 due Sat 10-31, processing at the end: moved to Mon 11-02 → within deadline; by calendar the due day is over → overdue.
		{dossier("W4", "4", "2026-10-25 09:00", "2026-10-31 17:00", "", ""), pair{"received, pending overdue", "received, pending within deadline"}},
		// W5 due Fri 10-30 (a working day), processing: not moved → overdue under both.
		{dossier("W5", "4", "2026-10-20 09:00", "2026-10-30 17:00", "", ""), pair{"received, pending overdue", "received, pending overdue"}},
		// W6 due Fri 10-09, ended Sat 10-10: a working-day deadline does not move because the finish fell on a weekend → late under both.
		{dossier("W6", "10", "2026-10-01 09:00", "2026-10-09 17:00", "2026-10-10 09:00", ""), pair{"received, finished late", "received, finished late"}},
	}
	tests := []struct {
		name     string
		opts     Options
		pick     func(pair) string
		want     counts
		percents [4]string
		moved    int
	}{
		// calendar: finished W1 W2 W3 W6 all late; pending W4 W5 both overdue.
		{"calendar", Options{}, func(p pair) string { return p.calendar },
			counts{received: 6, total: 6, finished: 4, late: 4, pending: 2, overdue: 2}, [4]string{"0", "100", "0", "100"}, 0},
		// working days: on time W1 W3, late W2 W6; pending within W4, overdue W5. Moved: W1 W2 W3 W4.
		{"working_days", Options{Basis: BasisWorkingDays, Holidays: []Date{{2026, time.October, 13}}}, func(p pair) string { return p.working },
			counts{received: 6, total: 6, finished: 4, onTime: 2, late: 2, pending: 2, within: 1, overdue: 1}, [4]string{"50", "50", "50", "50"}, 4},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var fixtures []fixture
			for _, c := range cases {
				fixtures = append(fixtures, fixture{c.d, tc.pick(c.want)})
			}
			r := run(t, october2026, tc.opts, fixtures)
			if got := countsOf(r.Figures); got != tc.want {
				t.Errorf("figures %+v, want %+v", got, tc.want)
			}
			if got := percentsOf(r.Figures); got != tc.percents {
				t.Errorf("percentages %v, want %v", got, tc.percents)
			}
			if r.DeadlineMoved != tc.moved {
				t.Errorf("deadlines moved %d, want %d", r.DeadlineMoved, tc.moved)
			}
		})
	}
}

// A weekend can be configured: a one-stop desk open on Saturday has only
// Sunday off, so a Saturday due date stays where it is.
func TestSaturdayWorkingDesk(t *testing.T) {
	o := Options{Basis: BasisWorkingDays, Weekend: []time.Weekday{time.Sunday}}
	r := run(t, october2026, o, []fixture{
		// due Sat 10-10, ended Mon 10-12: Saturday is a working day here → not moved → late.
		{dossier("S1", "10", "2026-10-05 09:00", "2026-10-10 11:00", "2026-10-12 09:00", ""), "received, finished late"},
		// due Sun 10-11, ended Mon 10-12: Sunday is off → moved to Mon 10-12 → on time.
		{dossier("S2", "10", "2026-10-05 09:00", "2026-10-11 11:00", "2026-10-12 09:00", ""), "received, finished on time"},
	})
	if r.DeadlineMoved != 1 {
		t.Errorf("deadlines moved %d, want 1 (S2)", r.DeadlineMoved)
	}
}

// Comparing instants instead of calendar days changes only finishes on
// the due day after the due time. At a period's end (midnight) the two
// agree, because the first instant after the period starts a new day.
func TestInstantComparison(t *testing.T) {
	type pair struct{ day, instant string }
	cases := []struct {
		d    *packets.Dossier
		want pair
	}{
		// I1 due 10-12 10:00, ended 10-12 15:00: same day → on time by day; five hours after the instant → late.
		{dossier("I1", "10", "2026-10-05 09:00", "2026-10-12 10:00", "2026-10-12 15:00", ""), pair{"received, finished on time", "received, finished late"}},
		// I2 ended exactly at the due instant → on time under both.
		{dossier("I2", "10", "2026-10-05 09:00", "2026-10-12 10:00", "2026-10-12 10:00", ""), pair{"received, finished on time", "received, finished on time"}},
		// I3 ended one second after the due instant → on time by day, late by instant.
		{dossier("I3", "10", "2026-10-05 09:00", "2026-10-12 10:00", "2026-10-12 10:00:01", ""), pair{"received, finished on time", "received, finished late"}},
		// I4 pending, due 10-31 23:59:59: at 11-01 00:00 the due day and the due instant are both past → overdue under both.
		{dossier("I4", "4", "2026-10-20 09:00", "2026-10-31 23:59:59", "", ""), pair{"received, pending overdue", "received, pending overdue"}},
		// I5 pending, due exactly 11-01 00:00, the period's end: still meetable → within under both.
		{dossier("I5", "4", "2026-10-20 09:00", "2026-11-01 00:00", "", ""), pair{"received, pending within deadline", "received, pending within deadline"}},
	}
	for _, mode := range []Comparison{CompareDay, CompareInstant} {
		t.Run(string(mode), func(t *testing.T) {
			var fixtures []fixture
			for _, c := range cases {
				want := c.want.day
				if mode == CompareInstant {
					want = c.want.instant
				}
				fixtures = append(fixtures, fixture{c.d, want})
			}
			r := run(t, october2026, Options{Compare: mode}, fixtures)
			// day: on time I1 I2 I3 (3 of 3); instant: on time I2 only (1 of 3). Pending: I5 within, I4 overdue.
			onTime := map[Comparison]int{CompareDay: 3, CompareInstant: 1}[mode]
			want := counts{received: 5, total: 5, finished: 3, onTime: onTime, late: 3 - onTime, pending: 2, within: 1, overdue: 1}
			if got := countsOf(r.Figures); got != want {
				t.Errorf("figures %+v, want %+v", got, want)
			}
		})
	}
}

// By instant, a deadline moved off a day off still runs to the end of the
// next working day: a time of day on a holiday means nothing.
func TestInstantComparisonWithMovedDeadline(t *testing.T) {
	run(t, october2026, Options{Compare: CompareInstant, Basis: BasisWorkingDays}, []fixture{
		// due Sat 10-10 10:00, ended Mon 10-12 15:00: moved to the end of Mon 10-12 → on time.
		{dossier("M1", "10", "2026-10-05 09:00", "2026-10-10 10:00", "2026-10-12 15:00", ""), "received, finished on time"},
		// due Fri 10-09 10:00 (a working day), ended 10-09 10:30: not moved → late by instant.
		{dossier("M2", "10", "2026-10-05 09:00", "2026-10-09 10:00", "2026-10-09 10:30", ""), "received, finished late"},
	})
}

// A month without any dossier: every count 0, every percentage "0"
// (never a division by zero), and the item can still be sent.
func TestEmptyMonth(t *testing.T) {
	r, err := Compute(slices.Values([]*packets.Dossier(nil)), october2026, Options{UnitCode: "000.00.12.H29"})
	if err != nil {
		t.Fatal(err)
	}
	if got := countsOf(r.Figures); got != (counts{}) {
		t.Errorf("figures %+v, want all zero", got)
	}
	if got, want := percentsOf(r.Figures), [4]string{"0", "0", "0", "0"}; got != want {
		t.Errorf("percentages %v, want %v", got, want)
	}
	if r.Read != 0 || r.ExcludedTotal() != 0 {
		t.Errorf("read %d, excluded %d; want 0, 0", r.Read, r.ExcludedTotal())
	}
	if _, err := r.Figures.DVCQGItem(); err != nil {
		t.Errorf("DVCQGItem of an empty month: %v", err)
	}
}

// The status rules can be changed: a unit whose legacy "withdrawn" never
// reached the desk's workload may list 7 as never received.
func TestCustomStatusRules(t *testing.T) {
	rules := StatusRules{Finished: []string{"8", "9", "10"}, Pending: []string{"2", "4", "5", "6"}, NotReceived: []string{"1", "3", "7"}}
	run(t, october2026, Options{Statuses: rules}, []fixture{
		// withdrawn (7) is now never received → excluded.
		{dossier("R1", "7", "2026-10-08 09:00", "2026-10-22 17:00", "2026-10-09 10:00", ""), "excluded: not_received"},
		// a space around the code is ignored: " 9 " is 9 → finished on time.
		{dossier("R2", " 9 ", "2026-10-08 09:00", "2026-10-22 17:00", "2026-10-09 10:00", ""), "received, finished on time"},
	})
}

func TestOptionsAreChecked(t *testing.T) {
	tests := []struct {
		name string
		o    Options
	}{
		{"compare", Options{Compare: "hour"}},
		{"basis", Options{Basis: "lunar"}},
		{"weekend", Options{Weekend: []time.Weekday{0, 1, 2, 3, 4, 5, 6}}},
		{"duplicate status", Options{Statuses: StatusRules{Finished: []string{"9"}, Pending: []string{"9"}}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := NewAccumulator(october2026, tc.o); err == nil {
				t.Errorf("NewAccumulator(%+v) accepted bad options", tc.o)
			}
		})
	}
	if _, err := NewAccumulator(Period{Kind: Monthly, Start: october2026.End, End: october2026.Start}, Options{}); err == nil {
		t.Error("NewAccumulator accepted a period that ends before it starts")
	}
}

// The figures of consecutive periods fit together: what is pending at the
// end of a month is exactly what the next month carries over, and a
// quarter's received and finished counts are the sums of its months'.
// Checked on 2,000 pseudo-random dossiers (fixed seed) with every status.
func TestPeriodsFitTogether(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	statuses := []string{"1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11"}
	base := time.Date(2026, 6, 1, 0, 0, 0, 0, hcm)
	var ds []*packets.Dossier
	for i := range 2000 {
		received := base.Add(time.Duration(rng.Int64N(int64(200 * 24 * time.Hour))))
		d := &packets.Dossier{MaHoSo: "X" + time.Duration(i).String(), TrangThaiHoSo: statuses[rng.IntN(len(statuses))], NgayTiepNhan: packets.At(received)}
		if rng.IntN(10) > 0 {
			d.NgayHenTra = packets.At(received.Add(time.Duration(rng.Int64N(int64(20 * 24 * time.Hour)))))
		}
		if rng.IntN(6) > 0 {
			d.NgayKetThucXuLy = packets.At(received.Add(time.Duration(rng.Int64N(int64(40*24*time.Hour))) - 24*time.Hour))
		}
		ds = append(ds, d)
	}
	opts := Options{Basis: BasisWorkingDays, Holidays: []Date{{2026, 9, 2}}}
	compute := func(p Period) Figures {
		r, err := Compute(slices.Values(ds), p, opts)
		if err != nil {
			t.Fatal(err)
		}
		if err := r.Figures.Check(); err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		return r.Figures
	}
	months := map[int]Figures{}
	for m := 7; m <= 12; m++ {
		months[m] = compute(MonthPeriod(2026, time.Month(m), hcm))
	}
	for m := 8; m <= 12; m++ {
		if months[m-1].TongChuaXuLy != months[m].SoTonKyTruoc {
			t.Errorf("pending at the end of month %d = %d, but month %d carries over %d", m-1, months[m-1].TongChuaXuLy, m, months[m].SoTonKyTruoc)
		}
	}
	q4 := compute(QuarterPeriod(2026, 4, hcm))
	oct, nov, dec := months[10], months[11], months[12]
	sums := []struct {
		what      string
		q, months int
	}{
		{"received", q4.SoNhanTrongKy, oct.SoNhanTrongKy + nov.SoNhanTrongKy + dec.SoNhanTrongKy},
		{"finished", q4.TongDaXuLy, oct.TongDaXuLy + nov.TongDaXuLy + dec.TongDaXuLy},
		{"on time", q4.TongXuLyDungHan, oct.TongXuLyDungHan + nov.TongXuLyDungHan + dec.TongXuLyDungHan},
		{"carried over", q4.SoTonKyTruoc, oct.SoTonKyTruoc},
		{"pending", q4.TongChuaXuLy, dec.TongChuaXuLy},
		{"overdue", q4.TongChuaXuLyTreHan, dec.TongChuaXuLyTreHan},
	}
	for _, s := range sums {
		if s.q != s.months {
			t.Errorf("Q4 %s = %d, months give %d", s.what, s.q, s.months)
		}
	}
	if oct.SoNhanTrongKy == 0 || oct.TongDaXuLy == 0 || oct.TongChuaXuLyTreHan == 0 || oct.TongChuaXuLyTrongHan == 0 {
		t.Errorf("the random fixture should fill every figure of October: %+v", countsOf(oct))
	}
	if q4.LoaiThongKe != "" || q4.Thang != 0 {
		t.Errorf("a quarter has LoaiThongKe %q and Thang %d; want both empty", q4.LoaiThongKe, q4.Thang)
	}
}
