package sandbox

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"path"
	"sort"
	"strings"
)

// portalFixtureFiles are the catalogue answers of the emulated portal: one
// file per service, named after it, holding the JSON array of rows the
// portal's "result" carries. LayThuTuc.json holds one full procedure
// record per procedure, answered one at a time by maTTHC. The content is
// realistic sample data for rehearsals (Ho Chi Minh City, H29), not a copy
// of the national catalogues.
//
//go:embed fixtures/dvcqg/*.json
var portalFixtureFiles embed.FS

// portalFixtures are the parsed catalogue answers.
type portalFixtures struct {
	catalogues map[string][]json.RawMessage // service → rows
	procedures map[string]json.RawMessage   // MATTHC → LayThuTuc record
}

func loadPortalFixtures() (*portalFixtures, error) {
	entries, err := portalFixtureFiles.ReadDir("fixtures/dvcqg")
	if err != nil {
		return nil, fmt.Errorf("sandbox portal fixtures: %w", err)
	}
	fx := &portalFixtures{catalogues: map[string][]json.RawMessage{}, procedures: map[string]json.RawMessage{}}
	for _, e := range entries {
		name := strings.TrimSuffix(e.Name(), ".json")
		b, err := portalFixtureFiles.ReadFile(path.Join("fixtures/dvcqg", e.Name()))
		if err != nil {
			return nil, fmt.Errorf("sandbox portal fixture %s: %w", e.Name(), err)
		}
		var rows []json.RawMessage
		if err := json.Unmarshal(b, &rows); err != nil {
			return nil, fmt.Errorf("sandbox portal fixture %s: want a JSON array of rows: %w", e.Name(), err)
		}
		for i, r := range rows {
			if t := bytes.TrimSpace(r); len(t) == 0 || t[0] != '{' {
				return nil, fmt.Errorf("sandbox portal fixture %s: row %d is not an object", e.Name(), i)
			}
		}
		if name != "LayThuTuc" {
			fx.catalogues[name] = rows
			continue
		}
		for i, r := range rows {
			var rec struct {
				MATTHC string `json:"MATTHC"`
			}
			if err := json.Unmarshal(r, &rec); err != nil || rec.MATTHC == "" {
				return nil, fmt.Errorf("sandbox portal fixture %s: record %d has no MATTHC", e.Name(), i)
			}
			if _, dup := fx.procedures[rec.MATTHC]; dup {
				return nil, fmt.Errorf("sandbox portal fixture %s: MATTHC %s appears twice", e.Name(), rec.MATTHC)
			}
			fx.procedures[rec.MATTHC] = r
		}
	}
	return fx, nil
}

// has reports whether service is a catalogue the fixtures answer.
func (fx *portalFixtures) has(service string) bool {
	if service == "LayThuTuc" {
		return true
	}
	_, ok := fx.catalogues[service]
	return ok
}

// names lists the catalogue services, sorted.
func (fx *portalFixtures) names() []string {
	out := []string{"LayThuTuc"}
	for n := range fx.catalogues {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// rows returns a catalogue's rows (shared: do not modify).
func (fx *portalFixtures) rows(service string) []json.RawMessage { return fx.catalogues[service] }

// procedure returns one LayThuTuc record.
func (fx *portalFixtures) procedure(maTTHC string) (json.RawMessage, bool) {
	r, ok := fx.procedures[maTTHC]
	return r, ok
}
