package ratings

import (
	"strings"
	"testing"
)

// ParseLevel accepts exactly the five codes, which print back unchanged;
// anything else fails with a message showing the scale.
func FuzzParseLevel(f *testing.F) {
	for _, s := range []string{"1", "5", "0", "6", " 1", "01", "1.0", "rất hài lòng", "", "١"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		l, err := ParseLevel(s)
		if err != nil {
			if !strings.Contains(err.Error(), `"1" (rất hài lòng) … "5"`) {
				t.Fatalf("ParseLevel(%q) error %q does not show the scale", s, err)
			}
			return
		}
		if !l.Valid() || l.String() != s {
			t.Fatalf("ParseLevel(%q) = %d (%s, %q)", s, l, l, l.Name())
		}
	})
}

// ParseScore accepts exactly "0", "1", "2".
func FuzzParseScore(f *testing.F) {
	for _, s := range []string{"0", "2", "3", "-1", " 2", "2.0", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParseScore(s)
		if err != nil {
			if !strings.Contains(err.Error(), `"0", "1" or "2"`) {
				t.Fatalf("ParseScore(%q) error %q does not show the scores", s, err)
			}
			return
		}
		if p < 0 || p > MaxPoints || string(rune('0'+p)) != s {
			t.Fatalf("ParseScore(%q) = %d", s, p)
		}
	})
}

// ParseGroupBy gives one of the three groupings, whose name is the input
// trimmed and lower-cased.
func FuzzParseGroupBy(f *testing.F) {
	for _, s := range []string{"unit", " Officer ", "PROCEDURE", "ward", "", "unıt"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		g, err := ParseGroupBy(s)
		if err != nil {
			return
		}
		if string(g) != strings.ToLower(strings.TrimSpace(s)) || (g != ByUnit && g != ByOfficer && g != ByProcedure) {
			t.Fatalf("ParseGroupBy(%q) = %q", s, g)
		}
	})
}

// A configured band min either is refused or converts to hundredths that
// print back as the same number.
func FuzzBandMin(f *testing.F) {
	for _, v := range []float64{0, 6, 12, 15.01, 15.005, 18, 18.01, -0.01, 1e300, 0.1 + 0.2} {
		f.Add(v)
	}
	f.Fuzz(func(t *testing.T, v float64) {
		h, ok := hundredthsOf(v)
		if !ok {
			return
		}
		if h < 0 || h > MaxTotal*100 {
			t.Fatalf("hundredthsOf(%v) = %d, outside 0–18", v, h)
		}
		if d := float64(h)/100 - v; d > 1e-8 || d < -1e-8 {
			t.Fatalf("hundredthsOf(%v) = %s", v, h)
		}
	})
}

// The three shares of any counts sum to 100 (or are all 0 without
// answers) and stay near their exact values.
func FuzzShares(f *testing.F) {
	f.Add(uint16(3), uint16(2), uint16(2))
	f.Add(uint16(1), uint16(7), uint16(0))
	f.Add(uint16(0), uint16(0), uint16(0))
	f.Fuzz(func(t *testing.T, v, s, c uint16) {
		if v == 0 && s == 0 && c == 0 {
			if a, b, d := Shares(0, 0, 0); a != 0 || b != 0 || d != 0 {
				t.Fatalf("Shares(0, 0, 0) = %d, %d, %d", a, b, d)
			}
			return
		}
		checkShares(t, int(v), int(s), int(c))
	})
}
