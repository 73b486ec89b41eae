// Package ratings is the domain logic of citizen satisfaction: the
// five-level satisfaction scale, the nine evaluation indicators of
// Circular 01/2018/TT-VPCP (0–2 points each, 18 in all) and which of them
// can be computed from the one-stop records, the ranking bands, the
// per-period reports by unit, officer or procedure, and the monthly
// DongBoDanhGia summary of the national portal. docs/ratings.md is this
// package in prose.
//
// It is pure: packets and stats in, numbers and text out. It knows nothing
// of SQL, HTTP or configuration files; the caller reads the ratings,
// dossiers and progress steps, and the configuration package decodes the
// `ratings:` section into Config.
package ratings

import (
	"fmt"
	"strconv"
)

// Level is the five-level satisfaction of one answer (MucDoHaiLong). The
// codes are those of the wire, so a Level converts to its code with
// String.
type Level int

// The five levels, best first. A reason (LyDo) is required for 4 and 5.
const (
	VerySatisfied    Level = 1 // rất hài lòng
	Satisfied        Level = 2 // hài lòng
	Neutral          Level = 3 // bình thường
	Dissatisfied     Level = 4 // không hài lòng
	VeryDissatisfied Level = 5 // rất không hài lòng
)

// Levels lists the five levels in code order.
func Levels() []Level {
	return []Level{VerySatisfied, Satisfied, Neutral, Dissatisfied, VeryDissatisfied}
}

var levelNames = [...]struct{ vi, en string }{
	{"rất hài lòng", "very satisfied"},
	{"hài lòng", "satisfied"},
	{"bình thường", "neutral"},
	{"không hài lòng", "dissatisfied"},
	{"rất không hài lòng", "very dissatisfied"},
}

// ParseLevel reads a MucDoHaiLong code: exactly "1" … "5". The mapping
// has already trimmed and translated legacy values, so anything else is
// refused rather than guessed.
func ParseLevel(s string) (Level, error) {
	if len(s) == 1 && s[0] >= '1' && s[0] <= '5' {
		return Level(s[0] - '0'), nil
	}
	return 0, fmt.Errorf("MucDoHaiLong %q: want a satisfaction level \"1\" (rất hài lòng) … \"5\" (rất không hài lòng)", s)
}

// String is the wire code, "1" … "5".
func (l Level) String() string { return strconv.Itoa(int(l)) }

// Valid reports whether l is one of the five levels.
func (l Level) Valid() bool { return l >= VerySatisfied && l <= VeryDissatisfied }

// Name is the level's Vietnamese name ("rất hài lòng").
func (l Level) Name() string {
	if !l.Valid() {
		return l.String()
	}
	return levelNames[l-1].vi
}

// English is the level's English name, for bilingual reports.
func (l Level) English() string {
	if !l.Valid() {
		return l.String()
	}
	return levelNames[l-1].en
}

// NeedsReason reports whether an answer at this level must carry a reason
// (LyDo): không hài lòng and rất không hài lòng.
func (l Level) NeedsReason() bool { return l == Dissatisfied || l == VeryDissatisfied }

// MaxPoints is the most an indicator scores ("điểm chuẩn").
const MaxPoints = 2

// ParseScore reads an indicator score (Diem): exactly "0", "1" or "2".
func ParseScore(s string) (int, error) {
	if len(s) == 1 && s[0] >= '0' && s[0] <= '0'+MaxPoints {
		return int(s[0] - '0'), nil
	}
	return 0, fmt.Errorf("Diem %q: want an indicator score \"0\", \"1\" or \"2\"", s)
}

// Indicator is one of the nine evaluation indicators of Circular
// 01/2018/TT-VPCP, numbered 1–9 as the circular lists them.
type Indicator int

// NumIndicators is how many indicators there are; MaxTotal the most a
// unit can score.
const (
	NumIndicators = 9
	MaxTotal      = NumIndicators * MaxPoints
)

// The nine indicators.
const (
	TotalTime     Indicator = 1 // total resolution time against the legal limit
	UnitTime      Indicator = 2 // time taken by each unit involved
	Contacts      Indicator = 3 // times the applicant had to come back to complete the dossier
	Agencies      Indicator = 4 // agencies/units the applicant had to contact
	OneStop       Indicator = 5 // received, resolved and returned through the one-stop department
	Disclosure    Indicator = 6 // public disclosure of the procedure
	Attitude      Indicator = 7 // officials' attitude
	Feedback      Indicator = 8 // acceptance of and explanation in response to feedback
	OnlineService Indicator = 9 // progress and quality of the online public service
)

// Indicators lists the nine indicators in order.
func Indicators() []Indicator {
	out := make([]Indicator, NumIndicators)
	for i := range out {
		out[i] = Indicator(i + 1)
	}
	return out
}

var indicatorNames = [NumIndicators]struct{ vi, en string }{
	{"Tổng thời gian giải quyết so với quy định", "total resolution time against the legal limit"},
	{"Thời gian giải quyết của từng cơ quan, đơn vị", "time taken by each unit involved"},
	{"Số lần liên hệ để hoàn thiện hồ sơ", "contacts needed to complete the dossier"},
	{"Số cơ quan, đơn vị phải liên hệ", "agencies the applicant had to contact"},
	{"Tiếp nhận, giải quyết, trả kết quả qua Bộ phận Một cửa", "handled through the one-stop department"},
	{"Công khai thủ tục hành chính", "public disclosure of the procedure"},
	{"Thái độ của cán bộ, công chức", "officials' attitude"},
	{"Tiếp thu, giải trình ý kiến, phản ánh", "acceptance of and explanation for feedback"},
	{"Tiến độ, chất lượng dịch vụ công trực tuyến", "progress and quality of the online public service"},
}

// Valid reports whether i is 1–9.
func (i Indicator) Valid() bool { return i >= 1 && i <= NumIndicators }

// String is "CS1" … "CS9" (chỉ số), the column heading of the reports.
func (i Indicator) String() string { return "CS" + strconv.Itoa(int(i)) }

// Name is the indicator's Vietnamese title.
func (i Indicator) Name() string {
	if !i.Valid() {
		return i.String()
	}
	return indicatorNames[i-1].vi
}

// English is the indicator's English title.
func (i Indicator) English() string {
	if !i.Valid() {
		return i.String()
	}
	return indicatorNames[i-1].en
}

// FromRecords reports whether the one-stop records can score the
// indicator (1–5 and 9). Only a citizen can answer 6, 7 and 8.
func (i Indicator) FromRecords() bool {
	return i.Valid() && i != Disclosure && i != Attitude && i != Feedback
}

// Hundredths is a non-negative decimal with two places, held exactly as
// an integer count of hundredths (150 is 1.50): averages, totals and
// percentages of the reports. It prints with two decimals ("1.50"), in
// text and as a JSON number, so a column of them lines up and sums as
// printed.
type Hundredths int64

// mean is sum/n rounded half up to hundredths, in exact integer
// arithmetic; 0 when n is 0.
func mean(sum, n int) Hundredths {
	if n <= 0 || sum < 0 {
		return 0
	}
	s, w := int64(sum), int64(n)
	// round(100·s/w) = floor((200·s + w) / (2·w))
	return Hundredths((200*s + w) / (2 * w))
}

// String writes the value with exactly two decimals: 1.50, 18.00, 0.00.
func (h Hundredths) String() string {
	sign := ""
	if h < 0 {
		sign, h = "-", -h
	}
	return fmt.Sprintf("%s%d.%02d", sign, int64(h)/100, int64(h)%100)
}

// MarshalJSON writes the value as a JSON number with two decimals.
func (h Hundredths) MarshalJSON() ([]byte, error) { return []byte(h.String()), nil }
