package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hcmc-lgsp/lgsp-connector/internal/catalog"
)

const catalogsSection = `
catalogs:
  city:
    units: /danh-muc/1.0/don-vi
    officials: /danh-muc/1.0/can-bo
    procedures: /danh-muc/1.0/thu-tuc
    rating_criteria: /danh-muc/1.0/tieu-chi-danh-gia
    missing: /danh-muc/1.0/khong-co
  refresh: [units, procedures, rating_criteria, missing]
`

// TestCatalogsCommands: sync from the sandbox, then list and show what
// was cached; a catalog the server does not have fails alone.
func TestCatalogsCommands(t *testing.T) {
	r := newRig(t, rigOptions{dossiers: 5})
	cfg := writeConfig(t, r.dir, "lgsp.yaml", r.params(), catalogsSection)

	res := execute(context.Background(), "catalogs", "sync", "--config", cfg)
	if res.code() != 1 {
		t.Fatalf("sync with one missing catalog: exit %d, want 1\n%s%s", res.code(), res.stdout, res.stderr)
	}
	for _, want := range []string{"units                    58 dòng / rows  lgsp /danh-muc/1.0/don-vi", "rating_criteria           9 dòng / rows",
		"missing              LỖI / FAILED: catalog missing: fetch from lgsp /danh-muc/1.0/khong-co"} {
		if !strings.Contains(res.stdout, want) {
			t.Errorf("sync output lacks %q:\n%s", want, res.stdout)
		}
	}
	if _, err := os.Stat(filepath.Join(r.dir, "catalogs.db")); err != nil {
		t.Errorf("the cache is not beside the store: %v", err)
	}

	res = mustExecute(t, "catalogs", "list", "--config", cfg, "--json")
	var list []catalog.Info
	if err := json.Unmarshal([]byte(res.stdout), &list); err != nil {
		t.Fatalf("list --json: %v\n%s", err, res.stdout)
	}
	got := map[string]catalog.Info{}
	for _, i := range list {
		got[i.Name] = i
	}
	if got["units"].Rows != 58 || got["units"].FetchedAt.IsZero() || got["procedures"].Rows != 11 ||
		got["missing"].LastError == "" || !got["missing"].FetchedAt.IsZero() || len(list) != 4 {
		t.Errorf("list = %+v", list)
	}
	res = mustExecute(t, "catalogs", "list", "--config", cfg)
	if !strings.Contains(res.stdout, "chưa tải / never") || !strings.Contains(res.stdout, "lgsp /danh-muc/1.0/thu-tuc") {
		t.Errorf("list:\n%s", res.stdout)
	}

	res = mustExecute(t, "catalogs", "show", "units", "--code", "000.00.01.H29", "--config", cfg)
	for _, want := range []string{"000.00.01.H29  Ủy ban nhân dân Quận 1", "2008-01-01", "2025-06-30", "MaDonViKeNhiem: 000.00.12.H29"} {
		if !strings.Contains(res.stdout, want) {
			t.Errorf("show --code lacks %q:\n%s", want, res.stdout)
		}
	}
	res = execute(context.Background(), "catalogs", "show", "units", "--code", "000.00.01.H29", "--at", "2025-07-01", "--config", cfg)
	if res.err == nil || !strings.Contains(res.err.Error(), `code "000.00.01.H29" is not valid on 2025-07-01 in catalog units`) {
		t.Errorf("show a dissolved unit after its end = %v", res.err)
	}
	res = mustExecute(t, "catalogs", "show", "units", "--at", "2025-07-01", "--json", "--config", cfg)
	var entries []catalog.Entry
	if err := json.Unmarshal([]byte(res.stdout), &entries); err != nil {
		t.Fatal(err)
	}
	if len(entries) != 42 { // the city and the 41 wards and communes
		t.Errorf("units valid on 2025-07-01: %d, want 42", len(entries))
	}
	res = execute(context.Background(), "catalogs", "show", "officials", "--config", cfg)
	if res.err == nil || !strings.Contains(res.err.Error(), "catalogs sync officials") {
		t.Errorf("show of a catalog never fetched = %v", res.err)
	}
	res = execute(context.Background(), "catalogs", "sync", "nope", "--config", cfg)
	if res.err == nil || !strings.Contains(res.err.Error(), `catalog "nope" is not configured for refresh`) {
		t.Errorf("sync of an unknown catalog = %v", res.err)
	}
}

func TestCatalogsNotConfigured(t *testing.T) {
	r := newRig(t, rigOptions{dossiers: 1})
	cfg := writeConfig(t, r.dir, "lgsp.yaml", r.params(), "")
	res := execute(context.Background(), "catalogs", "list", "--config", cfg)
	if res.code() != 2 || !strings.Contains(res.stderr, "add a catalogs: section") {
		t.Errorf("list without catalogs: exit %d\n%s", res.code(), res.stderr)
	}
}
