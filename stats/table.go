package stats

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// figureLabels name each figure in Vietnamese and English, in wire order.
var figureLabels = []struct{ field, vi, en string }{
	{"SoNhanTrongKy", "Số hồ sơ nhận trong kỳ", "received in the period"},
	{"SoTonKyTruoc", "Số hồ sơ tồn kỳ trước", "carried over from before the period"},
	{"TongSoXuLy", "Tổng số hồ sơ phải xử lý", "total to process"},
	{"TongDaXuLy", "Đã xử lý xong trong kỳ", "finished in the period"},
	{"TongXuLyDungHan", "  đúng hạn (kể cả trước hạn)", "  on time (early included)"},
	{"PhanTramXuLyDungHan", "  % đúng hạn", "  % on time"},
	{"TongXuLyTreHan", "  trễ hạn", "  late"},
	{"PhanTramXuLyTreHan", "  % trễ hạn", "  % late"},
	{"TongChuaXuLy", "Chưa xử lý xong cuối kỳ", "pending at the period's end"},
	{"TongChuaXuLyTrongHan", "  còn trong hạn", "  within the deadline"},
	{"PhanTramChuaXuLyTrongHan", "  % còn trong hạn", "  % within the deadline"},
	{"TongChuaXuLyTreHan", "  đã quá hạn", "  overdue"},
	{"PhanTramChuaXuLyTreHan", "  % quá hạn", "  % overdue"},
}

// reasonLabels explain the built-in exclusion reasons.
var reasonLabels = map[Reason]string{
	ReasonNotReceived:   "trạng thái chưa/không tiếp nhận (1, 3) / never received (status 1, 3)",
	ReasonUnknownStatus: "trạng thái không có trong quy tắc / status in no rule",
	ReasonNoReceiptDate: "không có ngày tiếp nhận / no NgayTiepNhan",
	ReasonNoEndDate:     "đã kết thúc nhưng không có ngày kết thúc / finished without NgayKetThucXuLy or NgayTra",
	ReasonDuplicate:     "trùng MaHoSo (tính lần đầu) / duplicate MaHoSo (first one counted)",
}

// values returns the figures as wire strings, in figureLabels order.
func (f Figures) values() []string {
	n := func(v int) string { return fmt.Sprint(v) }
	return []string{
		n(f.SoNhanTrongKy), n(f.SoTonKyTruoc), n(f.TongSoXuLy), n(f.TongDaXuLy),
		n(f.TongXuLyDungHan), f.PhanTramXuLyDungHan.String(), n(f.TongXuLyTreHan), f.PhanTramXuLyTreHan.String(),
		n(f.TongChuaXuLy), n(f.TongChuaXuLyTrongHan), f.PhanTramChuaXuLyTrongHan.String(),
		n(f.TongChuaXuLyTreHan), f.PhanTramChuaXuLyTreHan.String(),
	}
}

// WriteTable prints the result for people: what period and unit, the 13
// figures with Vietnamese and English labels, the rules used, and what was
// not counted.
func WriteTable(w io.Writer, r Result) error {
	f := r.Figures
	const layout = "2006-01-02 15:04"
	var b errWriter
	b.w = w
	b.printf("Thống kê hồ sơ / Dossier statistics (%s), kỳ / period %s\n", ServiceName, r.Period)
	b.printf("Đơn vị / Unit: %s %s\n", orDash(f.Madonvi), f.TenDonVi)
	b.printf("Từ / From %s đến trước / to before %s (%s)\n", r.Period.Start.Format(layout), r.Period.End.Format(layout), r.Zone)
	b.printf("So hạn / Deadline test: %s; %s\n\n", compareLabel(r.Compare), basisLabel(r.Basis))

	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "Trường / Field\tChỉ tiêu\tFigure\tSố / Value\n")
	for i, v := range f.values() {
		l := figureLabels[i]
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", l.field, l.vi, l.en, v)
	}
	if err := tw.Flush(); err != nil {
		return err
	}

	b.printf("\nĐã đọc / read: %d; ngoài kỳ / outside the period: %d; không tính / not counted: %d\n", r.Read, r.Outside, r.ExcludedTotal())
	for _, reason := range r.ExcludedReasons() {
		label, ok := reasonLabels[reason]
		switch field, mapped := strings.CutPrefix(string(reason), mappingPrefix); {
		case ok:
		case mapped:
			label = "không ánh xạ được / the mapping rejected " + field
		default:
			label = string(reason)
		}
		b.printf("  %6d  %s\n", r.Excluded[reason], label)
	}
	if r.NoDueDate > 0 {
		b.printf("Không có ngày hẹn trả, không bao giờ trễ / no NgayHenTra, never late: %d\n", r.NoDueDate)
	}
	if r.DeadlineMoved > 0 {
		b.printf("Hạn rơi vào ngày nghỉ, dời sang ngày làm việc / due on a day off, moved to the next working day: %d\n", r.DeadlineMoved)
	}
	if r.EndBeforeReceipt > 0 {
		b.printf("Ngày kết thúc trước ngày tiếp nhận, coi như kết thúc khi nhận / end before receipt, taken as ending on receipt: %d\n", r.EndBeforeReceipt)
	}
	if r.PendingWithEndDate > 0 {
		b.printf("Đang xử lý nhưng có ngày kết thúc, tính theo trạng thái / pending status with an end date, counted by status: %d\n", r.PendingWithEndDate)
	}
	return b.err
}

func compareLabel(c Comparison) string {
	if c == CompareInstant {
		return "so thời điểm / by instant"
	}
	return "so theo ngày / by calendar day"
}

func basisLabel(b DeadlineBasis) string {
	if b == BasisWorkingDays {
		return "hạn rơi vào ngày nghỉ dời sang ngày làm việc kế tiếp / due dates on days off move to the next working day"
	}
	return "ngày hẹn trả như phần mềm ghi / due dates as recorded"
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// errWriter keeps the first write error so the printing code stays flat.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.w.Write(p)
	e.err = err
	return n, err
}

func (e *errWriter) printf(format string, args ...any) { fmt.Fprintf(e, format, args...) }
