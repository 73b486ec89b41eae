package rig

import (
	"testing"
	"time"
)

func TestPercentileNearestRank(t *testing.T) {
	ms := func(ns ...int) []time.Duration {
		out := make([]time.Duration, len(ns))
		for i, n := range ns {
			out[i] = time.Duration(n) * time.Millisecond
		}
		return out
	}
	hundred := make([]int, 100)
	for i := range hundred {
		hundred[i] = i + 1
	}
	tests := []struct {
		name string
		in   []time.Duration
		p    float64
		want time.Duration
	}{
		{"empty", nil, 99, 0},
		{"one value", ms(7), 50, 7 * time.Millisecond},
		{"p50 of 1..100", ms(hundred...), 50, 50 * time.Millisecond},
		{"p99 of 1..100", ms(hundred...), 99, 99 * time.Millisecond},
		{"p100 is the maximum", ms(hundred...), 100, 100 * time.Millisecond},
		{"p99 of four values is the largest", ms(1, 2, 3, 4), 99, 4 * time.Millisecond},
		{"p0 is the minimum", ms(3, 9), 0, 3 * time.Millisecond},
	}
	for _, tc := range tests {
		if got := Percentile(tc.in, tc.p); got != tc.want {
			t.Errorf("%s: Percentile(p%v) = %s, want %s", tc.name, tc.p, got, tc.want)
		}
	}
}

func TestStatusDeltaSkipsMissingCounters(t *testing.T) {
	before := map[string]int64{"Questions": 10, "Rows_read": 5}
	after := map[string]int64{"Questions": 30, "Rows_read": 5, "Innodb_rows_read": 99}
	lines := StatusDelta(before, after, 2)
	if len(lines) != 2 {
		t.Fatalf("lines %q: want Questions and Rows_read only (Innodb_rows_read has no before value)", lines)
	}
	if want := "Questions                            20  (      10.0/s)"; lines[0] != want {
		t.Errorf("line %q, want %q", lines[0], want)
	}
}
