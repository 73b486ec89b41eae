package packets

import (
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestCheckMaHoSo(t *testing.T) {
	cases := []struct {
		code    string
		wantErr string // "" = conforms
	}{
		{"000.00.12.H29-251103-0042", ""},
		{"000.00.06.H56-231027-0361", ""},
		{"000.00.12.H29-240229-0001", ""}, // leap day
		{"000.00.12.H29-250230-0001", `date part "250230"`},
		{"000.00.12.H29-250229-0001", `date part "250229"`},
		{"000.00.12.H29-251301-0001", `date part "251301"`},
		{"H56.14-250225-0001", "shape"},
		{"000.00.12.H29-251103-00042", "shape"}, // 5-digit sequence
		{"000.00.12.H29-251103-042", "shape"},
		{"000.00.12.h29-251103-0042", "shape"},
		{"000.00.12.H29-20251103-0042", "shape"},
		{"000.00.12.H29-251103-0042 ", "shape"},
		{"G09.20-20260609-0092637", "shape"},
		{"", "shape"},
		{"٠٠٠.٠٠.١٢.H29-251103-0042", "shape"}, // Arabic-Indic digits are not \d
	}
	for _, c := range cases {
		err := CheckMaHoSo(c.code)
		if c.wantErr == "" {
			if err != nil {
				t.Errorf("CheckMaHoSo(%q) = %v, want nil", c.code, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), c.wantErr) {
			t.Errorf("CheckMaHoSo(%q) = %v, want an error containing %q", c.code, err, c.wantErr)
		}
	}
}

func TestCheckAgencyID(t *testing.T) {
	for id, ok := range map[string]bool{
		"000.00.12.H29": true, "000.00.00.G22": true, "012.34.56.H29": true,
		"H56.14": false, "000.00.12.H2": false, "000.00.12.h29": false,
		"000.00.12.H29 ": false, "000.00.12.H29-251103-0042": false, "": false,
	} {
		if err := CheckAgencyID(id); (err == nil) != ok {
			t.Errorf("CheckAgencyID(%q) = %v, want ok=%v", id, err, ok)
		}
	}
}

func TestParseMaHoSoPolicy(t *testing.T) {
	for in, want := range map[string]MaHoSoPolicy{
		"": PolicyWarn, "warn": PolicyWarn, "reject": PolicyReject, "substitute": PolicySubstitute, " reject ": PolicyReject,
	} {
		got, err := ParseMaHoSoPolicy(in)
		if err != nil || got != want {
			t.Errorf("ParseMaHoSoPolicy(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"Warn", "ignore", "fix"} {
		if _, err := ParseMaHoSoPolicy(in); err == nil || !strings.Contains(err.Error(), `"substitute"`) {
			t.Errorf("ParseMaHoSoPolicy(%q) error = %v, want one naming the policies", in, err)
		}
	}
}

func TestSubstituteMaHoSo(t *testing.T) {
	received := vn(2025, 2, 25, 9, 30, 0)
	shape := regexp.MustCompile(`^000\.00\.12\.H29-250225-\d{4}$`)
	cases := []struct {
		original, fallback string
		wantPrefix         string
	}{
		{"H56.14-250225-0001", "000.00.12.H29", "000.00.12.H29-250225-"},
		{"HS/2025/0001", "000.00.12.H29", "000.00.12.H29-250225-"},
		// A well-formed agency prefix in the original is the receiving unit.
		{"000.00.07.H29-250225-00042", "000.00.12.H29", "000.00.07.H29-250225-"},
		{"000.00.07.H29-250230-0042", "000.00.12.H29", "000.00.07.H29-250225-"},
	}
	for _, c := range cases {
		got, err := SubstituteMaHoSo(c.original, c.fallback, received)
		if err != nil {
			t.Errorf("SubstituteMaHoSo(%q): %v", c.original, err)
			continue
		}
		if !strings.HasPrefix(got, c.wantPrefix) || CheckMaHoSo(got) != nil {
			t.Errorf("SubstituteMaHoSo(%q) = %q, want a conforming code starting %q", c.original, got, c.wantPrefix)
		}
		again, _ := SubstituteMaHoSo(c.original, c.fallback, received)
		if again != got {
			t.Errorf("SubstituteMaHoSo(%q) is not deterministic: %q then %q", c.original, got, again)
		}
	}
	a, _ := SubstituteMaHoSo("HS-A", "000.00.12.H29", received)
	b, _ := SubstituteMaHoSo("HS-B", "000.00.12.H29", received)
	if !shape.MatchString(a) || !shape.MatchString(b) || a == b {
		t.Errorf("distinct originals gave %q and %q", a, b)
	}
	// The date is the Vietnam date of receipt: 23:30 UTC is the next morning.
	late, _ := SubstituteMaHoSo("HS-A", "000.00.12.H29", time.Date(2025, 2, 24, 23, 30, 0, 0, time.UTC))
	if late != a {
		t.Errorf("receipt at 2025-02-24 23:30 UTC gave %q, want the 250225 code %q", late, a)
	}

	for _, c := range []struct {
		fallback string
		received time.Time
		wantErr  string
	}{
		{"H29", received, "QCVN 102"},
		{"000.00.12.H29", time.Time{}, "NgayTiepNhan is not set"},
		{"000.00.12.H29", vn(1999, 12, 31, 0, 0, 0), "outside 2000–2099"},
	} {
		if _, err := SubstituteMaHoSo("HS/1", c.fallback, c.received); err == nil || !strings.Contains(err.Error(), c.wantErr) {
			t.Errorf("SubstituteMaHoSo(HS/1, %q, %v) error = %v, want %q", c.fallback, c.received, err, c.wantErr)
		}
	}
}
