package packets

import (
	"strings"
	"testing"
	"time"
)

func TestFormatTime(t *testing.T) {
	cases := []struct {
		in   Time
		want string
	}{
		{Time{}, ""},
		{At(vn(2025, 11, 3, 8, 15, 27)), "20251103081527"},
		// 01:15 UTC is 08:15 in Vietnam.
		{At(time.Date(2025, 11, 3, 1, 15, 27, 0, time.UTC)), "20251103081527"},
		// 20:00 UTC on 31 Dec is already New Year in Vietnam.
		{At(time.Date(2025, 12, 31, 20, 0, 0, 0, time.UTC)), "20260101030000"},
		// Fractions are dropped, not rounded.
		{At(vn(2025, 11, 3, 8, 15, 27).Add(999 * time.Millisecond)), "20251103081527"},
	}
	for _, c := range cases {
		if got := FormatTime(c.in); got != c.want {
			t.Errorf("FormatTime(%v) = %q, want %q", c.in, got, c.want)
		}
	}
	if !(Time{}).IsZero() || At(vn(2025, 1, 1, 0, 0, 0)).IsZero() {
		t.Error("Time.IsZero does not follow the embedded time")
	}
}

func TestParseTime(t *testing.T) {
	cases := []struct {
		in      string
		want    time.Time // zero with wantErr == "" means the absent time
		wantErr string
	}{
		{"", time.Time{}, ""},
		{"20251103081527", vn(2025, 11, 3, 8, 15, 27), ""},
		{"20240229235959", vn(2024, 2, 29, 23, 59, 59), ""},
		{"00000101000000", vn(0, 1, 1, 0, 0, 0), ""},
		{"99991231235959", vn(9999, 12, 31, 23, 59, 59), ""},
		{"20250229000000", time.Time{}, "day 29 does not exist in 2025-02"},
		{"20250230081527", time.Time{}, "day 30 does not exist"},
		{"20251131000000", time.Time{}, "day 31 does not exist"},
		{"20251300000000", time.Time{}, "month 13 does not exist"},
		{"20250001000000", time.Time{}, "month 00 does not exist"},
		{"20251100000000", time.Time{}, "day 00 does not exist"},
		{"20251103240000", time.Time{}, "clock time 24:00:00"},
		{"20251103236000", time.Time{}, "clock time 23:60:00"},
		{"20251231235960", time.Time{}, "clock time 23:59:60"},
		{"2025110308152", time.Time{}, "want 14 digits"},
		{"202511030815270", time.Time{}, "want 14 digits"},
		{"2025-11-03 08:15", time.Time{}, "want 14 digits"},
		{"2025110308152Z", time.Time{}, `found 'Z' at position 14`},
		{"+0251103081527", time.Time{}, "found '+'"},
		{"２０２５１１０３０８１５", time.Time{}, "want 14 digits"},
		{"00010101070000", time.Time{}, "reserved zero instant"},
	}
	for _, c := range cases {
		got, err := ParseTime(c.in)
		if c.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Errorf("ParseTime(%q) error = %v, want one containing %q", c.in, err, c.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseTime(%q): %v", c.in, err)
			continue
		}
		if !got.Time.Equal(c.want) || got.IsZero() != c.want.IsZero() {
			t.Errorf("ParseTime(%q) = %v, want %v", c.in, got, c.want)
		}
		if !got.IsZero() && got.Location() != VietnamZone {
			t.Errorf("ParseTime(%q) location = %v, want VietnamZone", c.in, got.Location())
		}
		if back := FormatTime(got); back != c.in {
			t.Errorf("FormatTime(ParseTime(%q)) = %q", c.in, back)
		}
	}
}
