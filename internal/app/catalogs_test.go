package app_test

import (
	"context"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hcmc-lgsp/lgsp-connector/internal/app"
	"github.com/hcmc-lgsp/lgsp-connector/internal/catalog"
	"github.com/hcmc-lgsp/lgsp-connector/internal/config"
	"github.com/hcmc-lgsp/lgsp-connector/internal/demo"
	"github.com/hcmc-lgsp/lgsp-connector/internal/sandbox"
	"github.com/hcmc-lgsp/lgsp-connector/internal/scheduler"
	"github.com/hcmc-lgsp/lgsp-connector/mapping"
)

// TestCatalogsFromConfig: the demo configuration with a catalogs: and a
// dvcqg: section, against the sandbox. The cache opens beside the store,
// fetches what the mapping needs (LayThuTuc after the city's procedure
// list it reads its codes from), and gives the mapping what it looks up.
func TestCatalogsFromConfig(t *testing.T) {
	ctx := context.Background()
	const secret = "catalogs-app-test"
	sb, err := sandbox.New(sandbox.Options{ClientID: "lgsp-connector-demo", ClientSecret: secret})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sb.Handler())
	defer srv.Close()
	dir := t.TempDir()
	yaml, err := demo.RenderConfig(demo.ConfigParams{
		Driver: "sqlite", LegacyDSN: "file:/nonexistent/legacy.db?mode=ro", LGSPURL: srv.URL,
		ClientSecret: secret, CertFile: "cert.pem", KeyFile: "key.pem", StorePath: filepath.Join(dir, "outbox.db"),
	})
	if err != nil {
		t.Fatal(err)
	}
	yaml = append(yaml, `
catalogs:
  city:
    units: /danh-muc/1.0/don-vi
    procedures: /danh-muc/1.0/thu-tuc
  refresh: [units, procedures, LayThuTuc]
  unit_renames:
    - {old: "000.00.01.H29", new: "000.00.12.H29", from: "2025-07-01"}
dvcqg:
  enabled: true
  username: `+sandbox.DefaultPortalUsername+`
  password: `+sandbox.DefaultPortalPassword+`
`...)
	cfg, err := config.LoadBytes(yaml, dir, config.LoadOptions{IgnoreEnv: true, SkipFileChecks: true})
	if err != nil {
		t.Fatal(err)
	}
	// The procedure's name and sector come from the portal's LayThuTuc.
	fields := cfg.Mapping.Streams["ho_so"].Fields
	fields["MaTTHC"] = mapping.FieldMapping{Column: "ma_thu_tuc", Catalog: "LayThuTuc", Required: true}
	fields["TenTTHC"] = mapping.FieldMapping{FromCatalog: &mapping.CatalogRef{Catalog: "LayThuTuc", Key: "MaTTHC", Value: "TENTTHC"}}
	fields["TenLinhVuc"] = mapping.FieldMapping{FromCatalog: &mapping.CatalogRef{Catalog: "LayThuTuc", Key: "MaTTHC", Value: "TENLINHVUC"}}

	cats, err := app.OpenCatalogs(ctx, cfg, app.CatalogOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer cats.Close()
	if want := filepath.Join(dir, "catalogs.db"); cats.Store.Path() != want {
		t.Errorf("cache at %s, want %s", cats.Store.Path(), want)
	}
	if got := strings.Join(cats.Syncer.Names(), ","); got != "units,procedures,LayThuTuc" {
		t.Errorf("refresh order = %s", got)
	}
	if _, err := mapping.New(cfg.Mapping, cats.MappingOptions(mapping.Options{})); err == nil || !strings.Contains(err.Error(), "never been fetched") {
		t.Fatalf("mapping before any refresh = %v", err)
	}

	if err := cats.SyncMissing(ctx, cfg.Mapping.CatalogsUsed()...); err != nil {
		t.Fatal(err)
	}
	if !cats.Store.Loaded("procedures") || !cats.Store.Loaded("LayThuTuc") || cats.Store.Loaded("units") {
		t.Errorf("SyncMissing fetched the wrong catalogs: %v", loaded(cats.Store, "units", "procedures", "LayThuTuc"))
	}
	m, err := mapping.New(cfg.Mapping, cats.MappingOptions(mapping.Options{}))
	if err != nil {
		t.Fatal(err)
	}
	p, _, err := m.Map("ho_so", "1", map[string]any{
		"id": int64(1), "so_ho_so": "000.00.12.H29-250902-0001", "ma_thu_tuc": "1.001193", "ten_thu_tuc": nil, "ma_linh_vuc": nil,
		"ten_linh_vuc": nil, "kenh_nop": "TRUC_TIEP", "ho_ten_nguoi_nop": nil, "so_giay_to": nil, "loai_doi_tuong": "CONG_DAN",
		"dien_thoai": nil, "email": nil, "trich_yeu": nil, "ngay_nhan": "2025-09-02 08:00:00", "ngay_hen_tra": nil,
		"ngay_ket_thuc": nil, "ngay_tra_kq": nil, "trang_thai": "DA_TIEP_NHAN", "tra_qua_buu_dien": "0", "don_vi_xu_ly": "UBND phường Sài Gòn",
		"tai_lieu": nil,
	})
	if err != nil {
		t.Fatal(err)
	}
	if p.Dossier.TenTTHC != "Đăng ký khai sinh" || p.Dossier.TenLinhVuc != "Hộ tịch" {
		t.Errorf("filled from LayThuTuc: %q, %q", p.Dossier.TenTTHC, p.Dossier.TenLinhVuc)
	}

	sch := scheduler.New(scheduler.Options{})
	if err := cats.Schedule(sch); err != nil {
		t.Fatal(err)
	}
	var jobs []string
	for _, j := range sch.Jobs() {
		jobs = append(jobs, j.Name+" "+j.Spec)
	}
	if !slices.Equal(jobs, []string{"catalogs 0 3 * * *", "catalogs-reload @every 1m"}) {
		t.Errorf("jobs = %v", jobs)
	}
	next, err := sch.Next("catalogs", time.Date(2026, 3, 2, 10, 0, 0, 0, catalog.Zone))
	if err != nil || !next.Equal(time.Date(2026, 3, 3, 3, 0, 0, 0, catalog.Zone)) {
		t.Errorf("next refresh = %s, %v; want 03:00 the next day in Viet Nam", next, err)
	}
	_ = sch.Stop(ctx)

	// Without the section there is nothing, and nothing breaks.
	cfg.Catalogs = nil
	none, err := app.OpenCatalogs(ctx, cfg, app.CatalogOptions{})
	if err != nil || none != nil {
		t.Fatalf("OpenCatalogs without the section = %v, %v", none, err)
	}
	if err := none.SyncMissing(ctx, "x"); err != nil || none.Schedule(sch) != nil || none.Close() != nil {
		t.Error("a nil *Catalogs is not inert")
	}
	if o := none.MappingOptions(mapping.Options{}); o.Catalogs != nil || o.UnitRenames != nil {
		t.Errorf("MappingOptions without catalogs = %+v", o)
	}
}

func loaded(s *catalog.Store, names ...string) map[string]bool {
	out := map[string]bool{}
	for _, n := range names {
		out[n] = s.Loaded(n)
	}
	return out
}
