package mapping

import (
	"testing"
	"time"
)

func hcm(t *testing.T) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Asia/Ho_Chi_Minh")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func TestCompileLayout(t *testing.T) {
	tests := []struct {
		in      string
		wantErr string
	}{
		{"2006-01-02 15:04:05", ""},
		{"02/01/2006", ""},
		{"20060102150405", ""},
		{"2006-01-02T15:04:05Z07:00", ""},
		{"Jan 2, 2006", ""},
		{"unix", ""},
		{"UNIX_MS", ""},
		{"", "empty layout"},
		{"dd/MM/yyyy", `layout "dd/MM/yyyy" does not describe a date with year, month and day; Go layouts are written with the reference time 2006-01-02 15:04:05 (for dd/MM/yyyy write "02/01/2006")`},
		{"yyyy-MM-dd HH:mm:ss", `layout "yyyy-MM-dd HH:mm:ss" does not describe a date with year, month and day; Go layouts are written with the reference time 2006-01-02 15:04:05 (for yyyy-MM-dd HH:mm:ss write "2006-01-02 15:04:05")`},
		{"15:04:05", `layout "15:04:05" does not describe a date with year, month and day; Go layouts are written with the reference time 2006-01-02 15:04:05`},
		{"01/2006", `layout "01/2006" does not describe a date with year, month and day; Go layouts are written with the reference time 2006-01-02 15:04:05`},
	}
	for _, tt := range tests {
		_, err := compileLayout(tt.in)
		if tt.wantErr == "" {
			if err != nil {
				t.Errorf("compileLayout(%q): %v", tt.in, err)
			}
			continue
		}
		if err == nil || err.Error() != tt.wantErr {
			t.Errorf("compileLayout(%q) = %v, want %q", tt.in, err, tt.wantErr)
		}
	}
}

func TestParseDate(t *testing.T) {
	zone := hcm(t)
	layouts := func(ss ...string) []dateLayout {
		var out []dateLayout
		for _, s := range ss {
			l, err := compileLayout(s)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, l)
		}
		return out
	}
	tests := []struct {
		name       string
		layouts    []dateLayout
		in         string
		want       time.Time
		wantReason string
	}{
		{"wall clock in zone", layouts("2006-01-02 15:04:05"), "2026-09-03 08:15:00", time.Date(2026, 9, 3, 8, 15, 0, 0, zone), ""},
		{"own offset wins", layouts(time.RFC3339), "2026-09-03T08:15:00Z", time.Date(2026, 9, 3, 15, 15, 0, 0, zone), ""},
		{"second layout", layouts("2006-01-02 15:04:05", "02/01/2006"), "03/09/2026", time.Date(2026, 9, 3, 0, 0, 0, 0, zone), ""},
		{"unix seconds", layouts("unix"), "1788311400", time.Date(2026, 9, 2, 8, 10, 0, 0, zone), ""},
		{"unix ms", layouts("unix_ms"), "1788311400123", time.Date(2026, 9, 2, 8, 10, 0, 123e6, zone), ""},
		{"unix then layout", layouts("unix", "2006-01-02"), "2026-09-02", time.Date(2026, 9, 2, 0, 0, 0, 0, zone), ""},
		{"day out of range", layouts("02/01/2006"), "31/02/2025", time.Time{}, `not a valid date for layout "02/01/2006" (day out of range)`},
		{"no layout matches", layouts("2006-01-02", "02/01/2006"), "2025.01.02", time.Time{}, `not a valid date for any of the layouts "2006-01-02", "02/01/2006"`},
		{"unix not a number", layouts("unix"), "hôm qua", time.Time{}, `not a valid date for layout unix`},
		{"unix far future", layouts("unix"), "999999999999999", time.Time{}, `Unix timestamp gives the year 31690708`},
		{"month out of range", layouts("2006-01-02"), "2025-13-01", time.Time{}, `not a valid date for layout "2006-01-02" (month out of range)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, reason := parseDate(tt.layouts, tt.in, zone)
			if reason != tt.wantReason {
				t.Fatalf("reason = %q, want %q", reason, tt.wantReason)
			}
			if !got.Equal(tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
			if tt.wantReason == "" && got.Location() != zone {
				t.Errorf("location %v, want %v", got.Location(), zone)
			}
		})
	}
}

func TestDriverTime(t *testing.T) {
	zone := hcm(t)
	utcWall := time.Date(2026, 9, 3, 8, 15, 0, 0, time.UTC)
	if got, want := driverTime(utcWall, zone), time.Date(2026, 9, 3, 8, 15, 0, 0, zone); !got.Equal(want) {
		t.Errorf("UTC value: got %v, want the same wall clock in the zone %v", got, want)
	}
	// A driver that knew the zone gave an instant: kept as is, whatever
	// the configured zone.
	tokyo := time.FixedZone("JST", 9*3600)
	instant := time.Date(2026, 9, 3, 10, 15, 0, 0, tokyo)
	if got := driverTime(instant, zone); !got.Equal(instant) || got.Location() != tokyo {
		t.Errorf("zoned value: got %v, want %v unchanged", got, instant)
	}
}
