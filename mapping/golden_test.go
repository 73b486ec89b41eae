package mapping

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/hcmc-lgsp/lgsp-connector/packets"
)

var update = flag.Bool("update", false, "rewrite the golden expected.json / expected.err files")

// goldenOutput is what expected.json holds: the packet kind, the mapped body
// and the warnings.
type goldenOutput struct {
	Packet   packets.Kind    `json:"packet"`
	Body     any             `json:"body"`
	Warnings []packets.Issue `json:"warnings,omitempty"`
}

// TestGolden maps each testdata/golden/<case>/input.json with its
// config.yaml and compares the result with expected.json or, when mapping
// (or the configuration) fails, the exact error text in expected.err.
func TestGolden(t *testing.T) {
	dirs, err := filepath.Glob(filepath.Join("testdata", "golden", "*"))
	if err != nil {
		t.Fatal(err)
	}
	if len(dirs) < 10 {
		t.Fatalf("found %d golden cases under testdata/golden, want at least 10", len(dirs))
	}
	for _, dir := range dirs {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			got, isErr := runGolden(t, dir)
			jsonPath, errPath := filepath.Join(dir, "expected.json"), filepath.Join(dir, "expected.err")
			if *update {
				want, stale := jsonPath, errPath
				if isErr {
					want, stale = errPath, jsonPath
				}
				if err := os.WriteFile(want, got, 0o644); err != nil {
					t.Fatal(err)
				}
				if err := os.Remove(stale); err != nil && !errors.Is(err, os.ErrNotExist) {
					t.Fatal(err)
				}
				return
			}
			wantPath := jsonPath
			if isErr {
				wantPath = errPath
			}
			want, err := os.ReadFile(wantPath)
			if err != nil {
				t.Fatalf("mapping gave %s, but %v\n%s", map[bool]string{true: "an error", false: "a packet"}[isErr], err, got)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s differs (run go test -run TestGolden -update to accept)\ngot:\n%s\nwant:\n%s", wantPath, got, want)
			}
		})
	}
}

// runGolden returns the bytes to compare and whether they are an error.
func runGolden(t *testing.T, dir string) ([]byte, bool) {
	t.Helper()
	doc, err := os.ReadFile(filepath.Join(dir, "config.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := loadConfigYAML(doc)
	if err != nil {
		t.Fatalf("config.yaml: %v", err)
	}
	m, err := New(cfg, goldenOptions(t, dir))
	if err != nil {
		return []byte(err.Error() + "\n"), true
	}
	raw, err := os.ReadFile(filepath.Join(dir, "input.json"))
	if err != nil {
		t.Fatal(err)
	}
	var in testInput
	if err := json.Unmarshal(raw, &in); err != nil {
		t.Fatalf("input.json: %v", err)
	}
	values, err := decodeRecord(in.Values)
	if err != nil {
		t.Fatalf("input.json values: %v", err)
	}
	p, warnings, err := m.Map(in.Stream, in.Key, values)
	if err != nil {
		var me *Error
		if !errors.As(err, &me) {
			t.Fatalf("Map error is %T, want *mapping.Error: %v", err, err)
		}
		return []byte(err.Error() + "\n"), true
	}
	out := goldenOutput{Packet: p.Header.LoaiGoiTin, Warnings: warnings}
	switch {
	case p.Dossier != nil:
		out.Body = p.Dossier
	case p.Progress != nil:
		out.Body = p.Progress
	case p.Rating != nil:
		out.Body = p.Rating
	default:
		t.Fatal("packet has no body")
	}
	b, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return append(b, '\n'), false
}
