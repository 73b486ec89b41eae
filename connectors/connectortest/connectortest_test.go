package connectortest

import (
	"context"
	"errors"
	"math/big"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/hcmc-lgsp/lgsp-connector/connectors"
)

// memStore is the "database" shared by the sources of one fixture.
type memStore struct {
	mu   sync.Mutex
	rows []Row
}

// memSource is a small correct source; the bug field breaks it on purpose
// to prove the kit notices.
type memSource struct {
	store    *memStore
	numeric  bool
	bug      string
	started  bool
	shutdown bool
}

func (m *memSource) Streams() []string { return []string{"ho_so"} }

func (m *memSource) Start(context.Context) error {
	if m.shutdown {
		return errors.New("start after shutdown")
	}
	m.started = true
	return nil
}

func (m *memSource) Shutdown(context.Context) error {
	if m.shutdown && m.bug == "shutdown-twice-fails" {
		return errors.New("already shut down")
	}
	m.shutdown = true
	return nil
}

func (m *memSource) less(a, b Row) bool {
	if !a.Updated.Equal(b.Updated) {
		return a.Updated.Before(b.Updated)
	}
	if m.numeric && m.bug != "text-keys" {
		x, _ := new(big.Int).SetString(a.Key, 10)
		y, _ := new(big.Int).SetString(b.Key, 10)
		return x.Cmp(y) < 0
	}
	return a.Key < b.Key
}

func (m *memSource) Read(_ context.Context, stream string, after connectors.Cursor, limit int) (connectors.Batch, error) {
	if stream != "ho_so" {
		return connectors.Batch{}, errors.New("unknown stream")
	}
	if !m.started || m.shutdown {
		return connectors.Batch{}, errors.New("not running")
	}
	m.store.mu.Lock()
	rows := slices.Clone(m.store.rows)
	m.store.mu.Unlock()
	slices.SortFunc(rows, func(a, b Row) int {
		switch {
		case m.less(a, b):
			return -1
		case m.less(b, a):
			return 1
		}
		return 0
	})
	pos := Row{Updated: after.Updated, Key: after.Key}
	var b connectors.Batch
	for _, r := range rows {
		if !after.IsZero() {
			if m.bug == "timestamp-only-cursor" {
				if !r.Updated.After(after.Updated) {
					continue
				}
			} else if !m.less(pos, r) {
				continue
			}
		}
		if len(b.Records) == limit && m.bug != "ignore-limit" {
			break
		}
		b.Records = append(b.Records, connectors.Record{Stream: stream, Key: r.Key,
			Cursor: connectors.Cursor{Updated: r.Updated, Key: r.Key}, Values: map[string]any{"id": r.Key}})
	}
	b.Next = after
	if n := len(b.Records); n > 0 {
		b.Next = b.Records[n-1].Cursor
	}
	b.More = len(b.Records) == limit && m.bug != "never-more"
	return b, nil
}

func memHarness(numeric bool, bug string) Harness {
	return Harness{
		NumericKeys: numeric,
		Setup: func(t *testing.T) Fixture {
			store := &memStore{}
			return Fixture{
				Stream: "ho_so",
				NewSource: func(t *testing.T) connectors.Source {
					return &memSource{store: store, numeric: numeric, bug: bug}
				},
				Insert: func(t *testing.T, rows ...Row) {
					store.mu.Lock()
					defer store.mu.Unlock()
					store.rows = append(store.rows, rows...)
				},
			}
		},
	}
}

func TestKitPassesCorrectSource(t *testing.T) {
	t.Run("numeric keys", func(t *testing.T) { RunSourceTests(t, memHarness(true, "")) })
	t.Run("text keys", func(t *testing.T) { RunSourceTests(t, memHarness(false, "")) })
}

// TestKitCatchesBugs runs the kit against broken sources in a child
// process (a failing subtest cannot be observed from inside) and checks
// that the right cases fail.
func TestKitCatchesBugs(t *testing.T) {
	tests := []struct {
		bug        string
		failsCases []string
	}{
		{"timestamp-only-cursor", []string{"EqualTimestampsAcrossBatches", "ResumeAfterRestart", "LimitRespectedWithMore"}},
		{"text-keys", []string{"ReadFromZeroReturnsAllInOrder"}},
		{"ignore-limit", []string{"LimitRespectedWithMore", "EqualTimestampsAcrossBatches"}},
		{"never-more", []string{"LimitRespectedWithMore", "ReadFromZeroReturnsAllInOrder"}},
		{"shutdown-twice-fails", []string{"ShutdownIdempotent"}},
	}
	for _, tc := range tests {
		t.Run(tc.bug, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^TestKitHelperBuggySource$", "-test.v", "-test.count=1")
			cmd.Env = append(os.Environ(), "CONNECTORTEST_BUG="+tc.bug)
			out, err := cmd.CombinedOutput()
			if err == nil {
				t.Fatalf("kit passed a source with bug %q:\n%s", tc.bug, out)
			}
			for _, c := range tc.failsCases {
				if !strings.Contains(string(out), "--- FAIL: TestKitHelperBuggySource/"+c) {
					t.Errorf("bug %q: case %s did not fail:\n%s", tc.bug, c, out)
				}
			}
		})
	}
}

// TestKitHelperBuggySource is run by TestKitCatchesBugs in a child process.
func TestKitHelperBuggySource(t *testing.T) {
	bug := os.Getenv("CONNECTORTEST_BUG")
	if bug == "" {
		t.Skip("helper of TestKitCatchesBugs; runs only in its child process")
	}
	RunSourceTests(t, memHarness(true, bug))
}
