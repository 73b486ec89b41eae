package config

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hcmc-lgsp/lgsp-connector/mapping"
)

func loadWith(t *testing.T, extra string) (*Config, string) {
	t.Helper()
	good, err := os.ReadFile(filepath.Join("testdata", "good.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	dir, _ := filepath.Abs("testdata")
	cfg, err := LoadBytes(append(good, extra...), dir, LoadOptions{IgnoreEnv: true, SkipFileChecks: true})
	if err != nil {
		t.Fatal(err)
	}
	return cfg, dir
}

func TestCatalogsOffByDefault(t *testing.T) {
	cfg, _ := loadWith(t, "")
	if cfg.Catalogs != nil {
		t.Fatalf("catalogs = %+v, want nil without the section", cfg.Catalogs)
	}
	if strings.Contains(cfg.Redacted(), "catalogs:") {
		t.Error("config show prints a catalogs section that is not configured")
	}
	if cfg.Catalogs.MappingRenames() != nil {
		t.Error("MappingRenames of no section is not nil")
	}
}

func TestCatalogsDefaults(t *testing.T) {
	cfg, dir := loadWith(t, `
catalogs:
  city:
    units: /danh-muc/1.0/don-vi
    procedures: /danh-muc/1.0/thu-tuc
  unit_renames:
    - {old: "000.00.01.H29", new: "000.00.12.H29", from: "2025-07-01"}
`)
	c := cfg.Catalogs
	if c == nil {
		t.Fatal("catalogs section not loaded")
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"path beside the store", c.Path, filepath.Join(dir, "catalogs.db")},
		{"schedule", c.Schedule, "0 3 * * *"},
		{"refresh: the city catalogs", strings.Join(c.Refresh, ","), "procedures,units"},
		{"city path", c.City["units"], "/danh-muc/1.0/don-vi"},
		{"city field names", c.CityFields, CatalogFields{Code: "Ma", Name: "Ten", Parent: "MaCha", ValidFrom: "HieuLucTu", ValidTo: "HieuLucDen"}},
	}
	for _, ch := range checks {
		if ch.got != ch.want {
			t.Errorf("%s = %#v, want %#v", ch.name, ch.got, ch.want)
		}
	}
	r := c.MappingRenames()
	if len(r) != 1 || r[0].Old != "000.00.01.H29" || r[0].New != "000.00.12.H29" ||
		!r[0].From.Equal(time.Date(2025, 6, 30, 17, 0, 0, 0, time.UTC)) {
		t.Errorf("MappingRenames = %+v, want the takeover at 2025-07-01 00:00 +07:00", r)
	}
	if out := cfg.Redacted(); !strings.Contains(out, "catalogs:") || !strings.Contains(out, "/danh-muc/1.0/don-vi") {
		t.Errorf("config show lacks the catalogs section:\n%s", out)
	}
}

// The mapping's catalogs are refreshed by default, LayThuTuc after the
// catalog its codes come from, and a relative path is the config file's.
func TestCatalogsFollowTheMapping(t *testing.T) {
	cfg, dir := loadWith(t, `
catalogs:
  path: cache/catalogs.db
  city:
    procedures: https://lgsp.example.vn/danh-muc/1.0/thu-tuc
`)
	cfg.Mapping.Streams["ho_so"].Fields["TenTTHC"] = mapping.FieldMapping{
		FromCatalog: &mapping.CatalogRef{Catalog: "LayThuTuc", Key: "MaTTHC", Value: "TENTTHC"},
	}
	// Re-run completion as Load would with this mapping.
	cfg.Catalogs.Refresh = nil
	cfg.Catalogs.complete(cfg, dir)
	c := cfg.Catalogs
	if want := filepath.Join(dir, "cache", "catalogs.db"); c.Path != want {
		t.Errorf("path = %q, want %q", c.Path, want)
	}
	if got := strings.Join(c.Refresh, ","); got != "LayThuTuc,procedures" {
		t.Errorf("refresh = %s", got)
	}
	if got := strings.Join(c.RefreshOrder(), ","); got != "procedures,LayThuTuc" {
		t.Errorf("refresh order = %s, want LayThuTuc after procedures", got)
	}
	if c.ThuTuc.From != "procedures" {
		t.Errorf("thu_tuc.from = %q, want procedures (the city's procedure list)", c.ThuTuc.From)
	}
	if !slices.Equal(cfg.Mapping.CatalogsUsed(), []string{"LayThuTuc"}) {
		t.Errorf("CatalogsUsed = %v", cfg.Mapping.CatalogsUsed())
	}
}
