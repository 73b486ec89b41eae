// Package stats computes the monthly dossier statistics of the national
// portal's DongBoThongKeHoSo service (SPEC-dvcqg.md §9.1) — the 13 figures
// per unit per period — from dossiers as the mapping produces them, in one
// streaming pass. docs/statistics.md defines every figure; this package is
// that text in code. It knows nothing of SQL, HTTP or configuration files.
package stats

import (
	"fmt"
	"iter"
	"sort"
	"strings"
	"time"

	"github.com/hcmc-lgsp/lgsp-connector/packets"
)

// Reason says why a dossier was counted in no figure at all.
type Reason string

// Reasons a dossier is not counted. Records the caller could not turn into
// a dossier are counted under the caller's own reasons (see Skip).
const (
	// ReasonNotReceived: a status of StatusRules.NotReceived (1, 3).
	ReasonNotReceived Reason = "not_received"
	// ReasonUnknownStatus: a status in none of the rules.
	ReasonUnknownStatus Reason = "unknown_status"
	// ReasonNoReceiptDate: NgayTiepNhan is empty; the dossier cannot be
	// placed in time.
	ReasonNoReceiptDate Reason = "no_receipt_date"
	// ReasonNoEndDate: a finished status without NgayKetThucXuLy or NgayTra;
	// when it ended is unknown, so no period can claim it.
	ReasonNoEndDate Reason = "finished_without_end_date"
	// ReasonDuplicate: a MaHoSo already counted; the first one counts.
	ReasonDuplicate Reason = "duplicate_mahoso"
)

// MappingRejected is the reason for a record whose field the mapping
// could not turn into a dossier field. Only the field is named: the value
// may be personal data.
func MappingRejected(field string) Reason { return Reason(mappingPrefix + field) }

const mappingPrefix = "mapping: "

// Placement is where one dossier counted, for tests and for explaining a
// figure.
type Placement struct {
	// Excluded is set when the dossier counts in no figure; the rest is
	// then false.
	Excluded Reason
	// Outside is true when the dossier is valid but belongs to no figure of
	// this period: received after it, or finished before it.
	Outside bool
	// Received (SoNhanTrongKy) and CarriedOver (SoTonKyTruoc) exclude each
	// other; one of them is true for every counted dossier.
	Received, CarriedOver bool
	// Finished: counted in TongDaXuLy, OnTime saying TongXuLyDungHan or
	// TongXuLyTreHan.
	Finished, OnTime bool
	// Pending: counted in TongChuaXuLy, WithinDeadline saying
	// TongChuaXuLyTrongHan or TongChuaXuLyTreHan.
	Pending, WithinDeadline bool
}

func (p Placement) String() string {
	switch {
	case p.Excluded != "":
		return "excluded: " + string(p.Excluded)
	case p.Outside:
		return "outside the period"
	}
	parts := []string{"carried over"}
	if p.Received {
		parts[0] = "received"
	}
	switch {
	case p.Finished && p.OnTime:
		parts = append(parts, "finished on time")
	case p.Finished:
		parts = append(parts, "finished late")
	case p.WithinDeadline:
		parts = append(parts, "pending within deadline")
	default:
		parts = append(parts, "pending overdue")
	}
	return strings.Join(parts, ", ")
}

// Accumulator counts dossiers into the figures of one period. Feed it every
// dossier that may concern the period (more do no harm) with Add, then read
// Result. It keeps counters and the set of MaHoSo seen, nothing else. Not
// safe for concurrent use.
type Accumulator struct {
	period Period
	opt    *resolved
	seen   map[string]struct{}

	received, carried                int
	finished, onTime, late           int
	pending, withinDeadline, overdue int

	read, outside                                        int
	excluded                                             map[Reason]int
	noDueDate, deadlineMoved, endBeforeReceipt, reopened int
}

// NewAccumulator starts counting for period p.
func NewAccumulator(p Period, o Options) (*Accumulator, error) {
	r, err := o.resolve()
	if err != nil {
		return nil, err
	}
	if !p.Start.Before(p.End) {
		return nil, fmt.Errorf("stats: period %s: start %s is not before end %s", p, p.Start, p.End)
	}
	return &Accumulator{period: p, opt: r, seen: map[string]struct{}{}, excluded: map[Reason]int{}}, nil
}

// Skip counts a record that could not become a dossier (e.g. the mapping
// rejected it) under reason, so the report shows what was left out.
func (a *Accumulator) Skip(reason Reason) {
	a.read++
	a.excluded[reason]++
}

// Add counts one dossier and says where it counted. The rules are those of
// docs/statistics.md, in the same order.
func (a *Accumulator) Add(d *packets.Dossier) Placement {
	a.read++
	exclude := func(r Reason) Placement {
		a.excluded[r]++
		return Placement{Excluded: r}
	}
	if d.MaHoSo != "" {
		if _, dup := a.seen[d.MaHoSo]; dup {
			return exclude(ReasonDuplicate)
		}
		a.seen[d.MaHoSo] = struct{}{}
	}

	class := a.opt.classes[strings.TrimSpace(d.TrangThaiHoSo)]
	switch class {
	case statusNotReceived:
		return exclude(ReasonNotReceived)
	case statusUnknown:
		return exclude(ReasonUnknownStatus)
	}
	received := d.NgayTiepNhan.Time
	if received.IsZero() {
		return exclude(ReasonNoReceiptDate)
	}
	var end time.Time // when processing ended; zero while pending
	if class == statusFinished {
		end = d.NgayKetThucXuLy.Time
		if end.IsZero() {
			end = d.NgayTra.Time
		}
		if end.IsZero() {
			return exclude(ReasonNoEndDate)
		}
	}

	start, stop := a.period.Start, a.period.End
	if !received.Before(stop) {
		a.outside++
		return Placement{Outside: true}
	}
	if !end.IsZero() && end.Before(received) {
		// An end before the receipt is a data error; the dossier cannot
		// have ended before it began, so it ends when it was received.
		a.endBeforeReceipt++
		end = received
	}
	var p Placement
	if received.Before(start) {
		if !end.IsZero() && end.Before(start) {
			a.outside++
			return Placement{Outside: true}
		}
		p.CarriedOver = true
		a.carried++
	} else {
		p.Received = true
		a.received++
	}

	due := d.NgayHenTra.Time
	if due.IsZero() {
		a.noDueDate++
	}
	dl := a.opt.deadline(due)
	if dl.moved {
		a.deadlineMoved++
	}
	if !end.IsZero() && end.Before(stop) {
		p.Finished, p.OnTime = true, dl.meets(end)
		a.finished++
		if p.OnTime {
			a.onTime++
		} else {
			a.late++
		}
		return p
	}
	if class == statusPending && !d.NgayKetThucXuLy.IsZero() {
		a.reopened++
	}
	// Pending at the period's end: within the deadline when finishing at
	// the very first instant after the period would still be on time.
	p.Pending, p.WithinDeadline = true, dl.meets(stop)
	a.pending++
	if p.WithinDeadline {
		a.withinDeadline++
	} else {
		a.overdue++
	}
	return p
}

// deadline is the on-time limit of one dossier.
type deadline struct {
	none      bool      // no due date: never late
	limit     time.Time // on time before limit (or at it, when inclusive)
	inclusive bool
	moved     bool // the due day was not a working day
}

func (d deadline) meets(t time.Time) bool {
	return d.none || t.Before(d.limit) || (d.inclusive && t.Equal(d.limit))
}

// deadline turns NgayHenTra into an on-time limit under the options: by
// calendar day the limit is the start of the next day (exclusive); by
// instant it is the due instant itself (inclusive). On the working-days
// basis a due day that is a weekend day or holiday moves to the end of
// the next working day.
func (r *resolved) deadline(due time.Time) deadline {
	if due.IsZero() {
		return deadline{none: true}
	}
	loc := r.Location
	day := DateOf(due.In(loc))
	moved := false
	if r.Basis == BasisWorkingDays {
		for !r.working(day) {
			day, moved = day.next(), true
		}
	}
	if r.Compare == CompareDay || moved {
		return deadline{limit: day.next().start(loc), moved: moved}
	}
	return deadline{limit: due, inclusive: true}
}

// Result is the figures of the period and what was left out, and why.
type Result struct {
	Period  Period
	Figures Figures
	// Zone, Compare and Basis are the options the figures were computed
	// with, for the report.
	Zone    string
	Compare Comparison
	Basis   DeadlineBasis
	// Read is how many dossiers (and skipped records) were fed in.
	Read int
	// Outside is how many concern no figure of the period: received after
	// it or finished before it.
	Outside int
	// Excluded counts dossiers that fit no figure, by reason.
	Excluded map[Reason]int
	// NoDueDate counts counted dossiers without NgayHenTra: never late.
	NoDueDate int
	// DeadlineMoved counts counted dossiers due on a non-working day
	// (working-days basis only).
	DeadlineMoved int
	// EndBeforeReceipt counts dossiers whose end time was before their
	// receipt; they were taken to end on receipt.
	EndBeforeReceipt int
	// PendingWithEndDate counts pending dossiers that carry an end date
	// (reopened, or inconsistent data); the status decides.
	PendingWithEndDate int
}

// ExcludedTotal is the number of dossiers and records counted nowhere.
func (r Result) ExcludedTotal() int {
	n := 0
	for _, c := range r.Excluded {
		n += c
	}
	return n
}

// ExcludedReasons lists the reasons present, sorted.
func (r Result) ExcludedReasons() []Reason {
	out := make([]Reason, 0, len(r.Excluded))
	for k := range r.Excluded {
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// Result returns the figures counted so far.
func (a *Accumulator) Result() Result {
	f := Figures{
		Nam:                  a.period.Year,
		Madonvi:              a.opt.UnitCode,
		TenDonVi:             a.opt.UnitName,
		GhiChu:               a.opt.Note,
		SoNhanTrongKy:        a.received,
		SoTonKyTruoc:         a.carried,
		TongSoXuLy:           a.received + a.carried,
		TongDaXuLy:           a.finished,
		TongXuLyDungHan:      a.onTime,
		TongXuLyTreHan:       a.late,
		TongChuaXuLy:         a.pending,
		TongChuaXuLyTrongHan: a.withinDeadline,
		TongChuaXuLyTreHan:   a.overdue,
	}
	if a.period.Kind == Monthly {
		f.Thang, f.LoaiThongKe = a.period.Index, LoaiThongKeMonthly
	}
	f.PhanTramXuLyDungHan = Ratio(a.onTime, a.finished)
	f.PhanTramXuLyTreHan = Ratio(a.late, a.finished)
	f.PhanTramChuaXuLyTrongHan = Ratio(a.withinDeadline, a.pending)
	f.PhanTramChuaXuLyTreHan = Ratio(a.overdue, a.pending)
	excluded := make(map[Reason]int, len(a.excluded))
	for k, v := range a.excluded {
		excluded[k] = v
	}
	return Result{
		Period: a.period, Figures: f,
		Zone: a.opt.Location.String(), Compare: a.opt.Compare, Basis: a.opt.Basis,
		Read: a.read, Outside: a.outside, Excluded: excluded,
		NoDueDate: a.noDueDate, DeadlineMoved: a.deadlineMoved,
		EndBeforeReceipt: a.endBeforeReceipt, PendingWithEndDate: a.reopened,
	}
}

// Compute counts every dossier of seq for period p.
func Compute(seq iter.Seq[*packets.Dossier], p Period, o Options) (Result, error) {
	acc, err := NewAccumulator(p, o)
	if err != nil {
		return Result{}, err
	}
	for d := range seq {
		acc.Add(d)
	}
	return acc.Result(), nil
}
