package stats

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestDefaultConfigIsValidAndMeansDefaultOptions(t *testing.T) {
	c := DefaultConfig()
	if errs := c.Validate("statistics"); len(errs) > 0 {
		t.Fatalf("DefaultConfig: %v", errors.Join(errs...))
	}
	if c.Enabled || c.Schedule != "0 2 1 * *" || c.Stream != "ho_so" {
		t.Errorf("DefaultConfig enabled=%v schedule=%q stream=%q; want off, 02:00 on the 1st, ho_so", c.Enabled, c.Schedule, c.Stream)
	}
	o, err := c.Options("000.00.12.H29", "UBND phường Sài Gòn", hcm)
	if err != nil {
		t.Fatal(err)
	}
	if o.Compare != CompareDay || o.Basis != BasisCalendar || !slices.Equal(o.Weekend, DefaultWeekend()) || o.UnitCode != "000.00.12.H29" || o.Location != hcm {
		t.Errorf("Options from the default config: %+v", o)
	}
}

func TestConfigWorkingDays(t *testing.T) {
	c := DefaultConfig()
	c.DeadlineBasis = "working_days"
	c.Weekend = []string{"Sunday"}
	c.Holidays = []string{"2026-09-01", "2026-09-02"}
	c.Note = "Số liệu tính từ CSDL một cửa"
	o, err := c.Options("000.00.12.H29", "", hcm)
	if err != nil {
		t.Fatal(err)
	}
	want := []Date{{2026, time.September, 1}, {2026, time.September, 2}}
	if o.Basis != BasisWorkingDays || !slices.Equal(o.Weekend, []time.Weekday{time.Sunday}) || !slices.Equal(o.Holidays, want) || o.Note != c.Note {
		t.Errorf("Options %+v", o)
	}
}

func TestConfigErrorsNameTheirKeys(t *testing.T) {
	c := DefaultConfig()
	c.Stream = " "
	c.Compare = "hour"
	c.DeadlineBasis = "lunar"
	c.Weekend = []string{"saturday", "caturday"}
	c.Holidays = []string{"2026-09-02", "02/09/2026"}
	c.Statuses = StatusRules{Finished: []string{"9", "10"}, Pending: []string{"4", "9"}, NotReceived: []string{""}}
	errs := c.Validate("statistics")
	text := errors.Join(errs...).Error()
	for _, want := range []string{
		"statistics.stream: is required",
		`statistics.compare: "hour" is not day or instant`,
		`statistics.deadline_basis: "lunar" is not calendar or working_days`,
		`statistics.weekend[1]: "caturday" is not a weekday`,
		`statistics.holidays[1]: "02/09/2026" is not a date written YYYY-MM-DD`,
		`statistics.statuses.pending[1]: status "9" is listed twice`,
		"statistics.statuses.not_received[0]: is empty",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("errors lack %q:\n%s", want, text)
		}
	}
	if len(errs) != 7 {
		t.Errorf("%d errors, want 7 (one per problem):\n%s", len(errs), text)
	}
	if _, err := c.Options("x", "", hcm); err == nil {
		t.Error("Options accepted an invalid config")
	}

	all := DefaultConfig()
	all.Weekend = []string{"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"}
	if errs := all.Validate("statistics"); len(errs) != 1 || !strings.Contains(errs[0].Error(), "statistics.weekend: lists every day") {
		t.Errorf("a seven-day weekend: %v", errs)
	}
	none := DefaultConfig()
	none.Statuses = StatusRules{}
	if errs := none.Validate("statistics"); len(errs) != 1 || !strings.Contains(errs[0].Error(), "statistics.statuses: lists no status") {
		t.Errorf("empty status rules: %v", errs)
	}
}
