package packets

import (
	"fmt"
	"time"
)

// VietnamZone is Indochina Time, UTC+07:00, the zone of every wire time.
// A fixed zone, not Asia/Ho_Chi_Minh from tzdata: Vietnam has no daylight
// saving time, and a fixed zone works on hosts without a zone database
// (small Windows servers beside legacy software).
var VietnamZone = time.FixedZone("ICT", 7*3600)

// wireTimeLayout is yyyyMMddHHmmss, the format of every date on the wire.
const wireTimeLayout = "20060102150405"

// FormatTime writes t as yyyyMMddHHmmss in Vietnam time, dropping fractions
// of a second. The zero Time (absent) gives "". Years outside 0000–9999 do not
// fit the format; the encoders refuse them (see checkWireTime).
func FormatTime(t Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(VietnamZone).Format(wireTimeLayout)
}

// ParseTime reads a yyyyMMddHHmmss wire time as Vietnam time. "" is the
// absent time and gives the zero Time without error. Anything else must be
// exactly 14 digits forming a real calendar date and clock time: no leap
// seconds, no 30 February, no zone suffix.
func ParseTime(s string) (Time, error) {
	if s == "" {
		return Time{}, nil
	}
	if len(s) != len(wireTimeLayout) {
		return Time{}, fmt.Errorf("time %q: want 14 digits yyyyMMddHHmmss, got %d characters", s, len(s))
	}
	var n [14]int
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return Time{}, fmt.Errorf("time %q: want 14 digits yyyyMMddHHmmss, found %q at position %d", s, s[i], i+1)
		}
		n[i] = int(s[i] - '0')
	}
	num := func(from, to int) int {
		v := 0
		for _, d := range n[from:to] {
			v = v*10 + d
		}
		return v
	}
	year, month, day := num(0, 4), num(4, 6), num(6, 8)
	hour, minute, second := num(8, 10), num(10, 12), num(12, 14)
	if month < 1 || month > 12 {
		return Time{}, fmt.Errorf("time %q: month %02d does not exist", s, month)
	}
	if day < 1 || day > daysIn(year, time.Month(month)) {
		return Time{}, fmt.Errorf("time %q: day %02d does not exist in %04d-%02d", s, day, year, month)
	}
	if hour > 23 || minute > 59 || second > 59 {
		return Time{}, fmt.Errorf("time %q: clock time %02d:%02d:%02d does not exist", s, hour, minute, second)
	}
	t := time.Date(year, time.Month(month), day, hour, minute, second, 0, VietnamZone)
	if t.IsZero() {
		// 0001-01-01 07:00 ICT is Go's zero instant, which means "absent";
		// accepting it would silently turn a date into no date.
		return Time{}, fmt.Errorf("time %q: is the reserved zero instant; send \"\" for an absent time", s)
	}
	return Time{t}, nil
}

func daysIn(year int, m time.Month) int {
	return time.Date(year, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// checkWireTime reports whether t can be written as yyyyMMddHHmmss. Encoders
// call it so they never emit a time that ParseTime would refuse.
func checkWireTime(t time.Time) error {
	if t.IsZero() {
		return nil
	}
	if y := t.In(VietnamZone).Year(); y < 0 || y > 9999 {
		return fmt.Errorf("year %d does not fit yyyyMMddHHmmss", y)
	}
	return nil
}
