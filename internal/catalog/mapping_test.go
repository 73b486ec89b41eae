package catalog

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hcmc-lgsp/lgsp-connector/internal/sandbox"
	"github.com/hcmc-lgsp/lgsp-connector/mapping"
)

// TestMappingWithTheCache: the mapping looks codes up in the real cache,
// filled from the sandbox's city catalogs. A dossier of a dissolved
// district is sent under its successor after the takeover, and an
// unknown procedure is refused with the catalog named.
func TestMappingWithTheCache(t *testing.T) {
	ctx := context.Background()
	_, client := startSandbox(t, &sandboxClock{t: t0}, sandboxSecret)
	store := openStore(t, filepath.Join(t.TempDir(), "catalogs.db"))
	cfg := mapping.Config{
		CodeTables: map[string]map[string]string{"thu_tuc_qg": {"KS": "1.001193"}},
		Streams: map[string]mapping.StreamMapping{"ho_so": {Packet: "HoSo", Fields: map[string]mapping.FieldMapping{
			"MaHoSo":       {Column: "so_ho_so"},
			"NgayTiepNhan": {Column: "ngay_nhan", Format: []string{"2006-01-02"}},
			"MaTTHC":       {Column: "ma_thu_tuc", Catalog: "procedures", CatalogMap: "thu_tuc_qg"},
			"TenLinhVuc":   {FromCatalog: &mapping.CatalogRef{Catalog: "procedures", Key: "MaTTHC", Value: "TenLinhVuc"}},
			"DonViXuLy":    {Column: "ma_don_vi", RenameUnits: true, Catalog: "units", CatalogValue: "name"},
		}}},
	}
	renames := []mapping.UnitRename{{Old: "000.00.01.H29", New: "000.00.12.H29", From: time.Date(2025, 7, 1, 0, 0, 0, 0, Zone)}}

	// Before the first refresh the mapping refuses to start.
	if _, err := mapping.New(cfg, mapping.Options{Catalogs: store, UnitRenames: renames}); err == nil || !strings.Contains(err.Error(), `catalog "procedures" has never been fetched`) {
		t.Fatalf("mapping.New before any refresh = %v", err)
	}

	city, err := NewCityFetcher(LGSPGetter{Client: client}, sandbox.CatalogPaths(), CityFields{})
	if err != nil {
		t.Fatal(err)
	}
	syncer, err := NewSyncer(store, map[string]Fetcher{"units": city, "procedures": city}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := syncer.SyncMissing(ctx, "units", "procedures"); err != nil {
		t.Fatal(err)
	}
	m, err := mapping.New(cfg, mapping.Options{Catalogs: store, UnitRenames: renames})
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name                 string
		received, unit, proc string
		wantUnit, wantErr    string
	}{
		{"after the takeover: the successor", "2025-09-02", "000.00.01.H29", "KS", "Ủy ban nhân dân phường Sài Gòn", ""},
		{"before it: the district, valid then", "2025-06-30", "000.00.01.H29", "1.000894", "Ủy ban nhân dân Quận 1", ""},
		{"a ward created in 2025", "2025-07-01", "000.00.38.H29", "2.000908", "Ủy ban nhân dân phường Gò Vấp", ""},
		{"the new ward before it existed", "2025-06-30", "000.00.38.H29", "KS", "",
			`field DonViXuLy (column ma_don_vi) value "000.00.38.H29": not in catalog "units" on 2025-06-30 (NgayTiepNhan)`},
		{"an unknown procedure", "2025-09-02", "000.00.12.H29", "XD-99", "",
			`field MaTTHC (column ma_thu_tuc) value "XD-99": not in code table "thu_tuc_qg" and not itself a code of catalog "procedures" on 2025-09-02`},
		{"a district-level procedure after the districts", "2025-09-02", "000.00.12.H29", "2.000815", "",
			`not itself a code of catalog "procedures" on 2025-09-02`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, _, err := m.Map("ho_so", "1", map[string]any{"so_ho_so": "000.00.12.H29-250902-0001", "ngay_nhan": tc.received, "ma_don_vi": tc.unit, "ma_thu_tuc": tc.proc})
			if tc.wantErr != "" {
				var me *mapping.Error
				if !errors.As(err, &me) || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("Map = %v, want a *mapping.Error containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if p.Dossier.DonViXuLy != tc.wantUnit {
				t.Errorf("DonViXuLy = %q, want %q", p.Dossier.DonViXuLy, tc.wantUnit)
			}
			if p.Dossier.TenLinhVuc == "" {
				t.Error("TenLinhVuc not filled from the procedure catalog")
			}
		})
	}
}
