package stats

import (
	"strings"
	"testing"
)

// ParsePeriod either fails with a message that shows the expected form, or
// returns a period that prints back to a text it parses again to the same
// period.
func FuzzParsePeriod(f *testing.F) {
	for _, s := range []string{"2026-10", "2026-Q4", "2026", "2026-q1", " 2026-01 ", "2026-13", "1999-01", "2026-", "-10", "2026-Q", "٢٠٢٦-10"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParsePeriod(s, hcm)
		if err != nil {
			if !strings.Contains(err.Error(), "2026-Q4") {
				t.Fatalf("ParsePeriod(%q) error %q does not show the forms", s, err)
			}
			return
		}
		if !p.Start.Before(p.End) || p.Start.Location() != hcm {
			t.Fatalf("ParsePeriod(%q) = [%s, %s) in %s", s, p.Start, p.End, p.Start.Location())
		}
		again, err := ParsePeriod(p.String(), hcm)
		if err != nil || again != p {
			t.Fatalf("ParsePeriod(%q) = %s, which parses back as %v, %v", s, p, again, err)
		}
	})
}

// ParseDate accepts exactly what prints back the same (after trimming).
func FuzzParseDate(f *testing.F) {
	for _, s := range []string{"2026-09-02", "2026-02-29", "2024-02-29", " 2026-01-01", "02/09/2026", "2026-9-2"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDate(s)
		if err != nil {
			return
		}
		if d.String() != strings.TrimSpace(s) {
			t.Fatalf("ParseDate(%q) = %s", s, d)
		}
	})
}
