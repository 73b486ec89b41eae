package sampledata

import (
	"testing"
	"time"
)

// Receipts spread over the period in order, never before Start nor past
// its end, even where span·i overflows int64 nanoseconds (the demo's
// 2,060 dossiers over 60 days did, from dossier 1,780 on).
func TestSpreadOverDoesNotOverflow(t *testing.T) {
	tests := []struct {
		days, total int
	}{{60, 2060}, {730, 100000}, {7300, 1000000}}
	for _, tc := range tests {
		span := time.Duration(tc.days) * 24 * time.Hour
		prev := time.Duration(-1)
		for i := 0; i < tc.total; i++ {
			d := spreadOver(span, i, tc.total)
			if d < prev || d >= span {
				t.Fatalf("%d days, %d dossiers: dossier %d at %s after %s (span %s)", tc.days, tc.total, i, d, prev, span)
			}
			prev = d
		}
		// Where the plain product fits, the result is the same as before.
		if got, want := spreadOver(span, 10, tc.total), time.Duration(int64(span)*10/int64(tc.total)); got != want {
			t.Errorf("spreadOver(%s, 10, %d) = %s, want %s", span, tc.total, got, want)
		}
	}
}
