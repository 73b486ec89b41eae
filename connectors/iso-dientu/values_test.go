package isodientu

import (
	"errors"
	"math"
	"testing"
	"time"
)

func TestParseTimeText(t *testing.T) {
	eight := time.Date(2024, 3, 1, 1, 0, 0, 0, time.UTC)
	tests := []struct {
		in, layout string
		want       time.Time
		ok         bool
	}{
		{"2024-03-01 08:00:00", "", eight, true},
		{" 2024-03-01 08:00:00 ", "", eight, true},
		{"2024-03-01T08:00:00", "", eight, true},
		{"2024-03-01 08:00:00.5", "", eight.Add(500 * time.Millisecond), true},
		{"2024-03-01 08:00", "", eight, true},
		{"2024-03-01 01:00:00Z", "", eight, true},
		{"2024-03-01T03:00:00+02:00", "", eight, true},
		{"2024-03-01", "", time.Date(2024, 3, 1, 0, 0, 0, 0, vn), true},
		{"01/03/2024 08:00:00", "02/01/2006 15:04:05", eight, true},
		{"01/03/2024 08:00:00", "", time.Time{}, false},
		{"2024-13-01 08:00:00", "", time.Time{}, false},
		{"", "", time.Time{}, false},
	}
	for _, tc := range tests {
		got, err := parseTimeText(tc.in, vn, tc.layout)
		if (err == nil) != tc.ok || (tc.ok && !got.Equal(tc.want)) {
			t.Errorf("parseTimeText(%q, %q) = %v, %v; want %v ok=%v", tc.in, tc.layout, got, err, tc.want, tc.ok)
		}
	}
}

func TestParseUpdated(t *testing.T) {
	eight := time.Date(2024, 3, 1, 1, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		in   any
		want time.Time
		err  string
	}{
		{"time", eight, eight, ""},
		{"bytes", []byte("2024-03-01 08:00:00"), eight, ""},
		{"string", "2024-03-01 08:00:00", eight, ""},
		{"NULL", nil, time.Time{}, "is NULL"},
		{"zero date", time.Time{}, time.Time{}, "is the zero date 0000-00-00"},
		{"number", int64(1709254800), time.Time{}, "is a int64, not a date and time column"},
		{"bad text", []byte("hôm qua"), time.Time{}, `is not a date and time like YYYY-MM-DD hh:mm:ss`},
	}
	for _, tc := range tests {
		got, err := parseUpdated(tc.in, vn, "")
		switch {
		case tc.err == "" && (err != nil || !got.Equal(tc.want)):
			t.Errorf("%s: %v, %v; want %v", tc.name, got, err, tc.want)
		case tc.err != "" && (err == nil || err.Error() != tc.err):
			t.Errorf("%s: error %v, want %q", tc.name, err, tc.err)
		}
	}
	if _, err := parseUpdated(nil, vn, ""); !errors.Is(err, errNull) {
		t.Errorf("NULL error is not errNull: %v", err)
	}
}

func TestParseKey(t *testing.T) {
	tests := []struct {
		in      any
		keyType string
		want    string
		ok      bool
	}{
		{int64(42), KeyInt, "42", true},
		{int64(-7), KeyInt, "-7", true},
		{uint64(42), KeyInt, "42", true},
		{uint64(math.MaxUint64), KeyInt, "", false},
		{float64(42), KeyInt, "42", true},
		{float64(4.5), KeyInt, "", false},
		{[]byte("0042"), KeyInt, "42", true},
		{" 42 ", KeyInt, "42", true},
		{[]byte("HS-42"), KeyInt, "", false},
		{[]byte("HS-42"), KeyString, "HS-42", true},
		{"0042", KeyString, "0042", true},
		{int64(42), KeyString, "42", true},
		{"", KeyString, "", false},
		{nil, KeyInt, "", false},
		{time.Now(), KeyString, "", false},
	}
	for _, tc := range tests {
		got, err := parseKey(tc.in, tc.keyType)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("parseKey(%#v, %s) = %q, %v; want %q ok=%v", tc.in, tc.keyType, got, err, tc.want, tc.ok)
		}
	}
}

func TestWallClockIn(t *testing.T) {
	utcLabelled := time.Date(2024, 3, 1, 8, 0, 0, 123, time.UTC)
	got := wallClockIn(utcLabelled, vn)
	if want := time.Date(2024, 3, 1, 1, 0, 0, 123, time.UTC); !got.Equal(want) {
		t.Errorf("wallClockIn = %v, want %v", got, want)
	}
}
