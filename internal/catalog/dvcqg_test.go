package catalog

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hcmc-lgsp/lgsp-connector/connectors/dvcqg"
	"github.com/hcmc-lgsp/lgsp-connector/internal/sandbox"
)

// TestDVCQGSyncAgainstSandbox: the national portal's catalogues, fetched
// by the real portal client (connectors/dvcqg: login, session, envelope)
// through the real LGSP transport from the sandbox's portal emulation,
// and turned into entries by the adapter.
func TestDVCQGSyncAgainstSandbox(t *testing.T) {
	ctx := context.Background()
	clock := &sandboxClock{t: t0}
	sb, client := startSandbox(t, clock, sandboxSecret)
	portal, err := dvcqg.New(client, dvcqg.Config{
		Username: sandbox.DefaultPortalUsername, Password: sandbox.DefaultPortalPassword, MaDonVi: "000.00.12.H29",
	}, dvcqg.Options{})
	if err != nil {
		t.Fatal(err)
	}
	store := openStore(t, filepath.Join(t.TempDir(), "catalogs.db"))
	fetcher, err := NewDVCQGFetcher(portal.Catalogue, DVCQGOptions{
		ProcedureCodes: func(ctx context.Context) ([]string, error) {
			codes, err := store.Codes(ctx, "LayDanhSachTTHC")
			// One code the portal does not know: left out, not a failure.
			return append(codes, "9.999999"), err
		},
		Procedure: func(ctx context.Context, code string) (map[string]any, bool, error) {
			p, found, err := portal.LayThuTuc(ctx, code)
			return p.Raw, found, err
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	names := []string{"LayDanhMucCoQuan", "LayDanhMucLinhVuc", "LayDanhSachTTHC", "LayThuTuc", "LayDanhMucTinhThanh", "LayDanhMucQuanHuyen"}
	fetchers := map[string]Fetcher{}
	for _, n := range names {
		fetchers[n] = fetcher
	}
	syncer, err := NewSyncer(store, fetchers, names, nil)
	if err != nil {
		t.Fatal(err)
	}
	results, err := syncer.Sync(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range results {
		if r.Info.Rows == 0 || r.Info.Source != "dvcqg "+r.Name {
			t.Errorf("%s: %+v", r.Name, r.Info)
		}
	}
	tthc, _ := store.Codes(ctx, "LayDanhSachTTHC")
	thuTuc, _ := store.Codes(ctx, "LayThuTuc")
	if len(thuTuc) == 0 || len(thuTuc) > len(tthc) {
		t.Errorf("LayThuTuc has %d procedures for %d listed", len(thuTuc), len(tthc))
	}
	if calls := sb.Stats().DVCQG.Calls["LayThuTuc"]; calls != len(tthc)+1 {
		t.Errorf("LayThuTuc was called %d times, want one per listed code plus the unknown one (%d)", calls, len(tthc)+1)
	}

	e, ok := store.Get("LayThuTuc", "1.001193", t0)
	if !ok || e.Name != "Đăng ký khai sinh" || e.Extra["TENTTHC"] != e.Name || e.Extra["MALINHVUC"] != "H29-HT" || e.Extra["TENLINHVUC"] != "Hộ tịch" || e.Extra["TRANGTHAI"] != "1" {
		t.Errorf("LayThuTuc 1.001193 = %+v", e)
	}
	if _, ok := store.Get("LayThuTuc", "9.999999", t0); ok {
		t.Error("a code the portal does not know was stored")
	}
	// Rows of a common catalogue, read by their MAx/TENx pair.
	if e, ok := store.Get("LayDanhMucQuanHuyen", "760", t0); !ok || e.Name != "Quận 1" || e.Extra["MATINH"] != "79" {
		t.Errorf("LayDanhMucQuanHuyen 760 = %+v, %v", e, ok)
	}
	if _, ok := store.Get("LayDanhMucTinhThanh", "79", t0); !ok {
		t.Error("LayDanhMucTinhThanh lacks 79")
	}
}

// TestDVCQGRows: how rows become entries, without the network.
func TestDVCQGRows(t *testing.T) {
	rows := func(doc string) []map[string]any {
		dec := json.NewDecoder(strings.NewReader(doc))
		dec.UseNumber()
		var out []map[string]any
		if err := dec.Decode(&out); err != nil {
			t.Fatal(err)
		}
		return out
	}
	answers := map[string][]map[string]any{
		"LayDanhMucCoQuan":    rows(`[{"MADONVI":"000.00.12.H29","TENDONVI":"UBND phường Sài Gòn","CAPDONVI":3}]`),
		"LayDanhMucDanToc":    rows(`[{"MADANTOC":"01","TENDANTOC":"Kinh"},{"MADANTOC":"02","TENDANTOC":"Tày"}]`),
		"LayDanhMucLePhi":     rows(`[{"MAPHI":"1","TENPHI":"a","MALEPHI":"2","TENLEPHI":"b"}]`),
		"LayDanhMucCanCuPhap": rows(`[{"SOVANBAN":"01/2018/TT-VPCP","TENVANBAN":"Thông tư"}]`),
	}
	call := func(_ context.Context, service string, _ map[string]string) ([]map[string]any, error) {
		return answers[service], nil
	}
	f, err := NewDVCQGFetcher(call, DVCQGOptions{Shapes: map[string]RowShape{"LayDanhMucCanCuPhap": {Code: "SOVANBAN", Name: "TENVANBAN"}}})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ service, want string }{
		{"LayDanhMucCoQuan", "[{000.00.12.H29 UBND phường Sài Gòn  map[CAPDONVI:3 MADONVI:000.00.12.H29 TENDONVI:UBND phường Sài Gòn]  }]"},
		{"LayDanhMucDanToc", "[{01 Kinh  map[MADANTOC:01 TENDANTOC:Kinh]  } {02 Tày  map[MADANTOC:02 TENDANTOC:Tày]  }]"},
		{"LayDanhMucLePhi", "cannot tell which field of LayDanhMucLePhi rows is the code (fields: MALEPHI, MAPHI, TENLEPHI, TENPHI); set catalogs.dvcqg_fields.LayDanhMucLePhi"},
		{"LayDanhMucCanCuPhap", "[{01/2018/TT-VPCP Thông tư  map[SOVANBAN:01/2018/TT-VPCP TENVANBAN:Thông tư]  }]"},
		{"LayThuTuc", "LayThuTuc needs the list of procedure codes"},
	}
	for _, tc := range tests {
		got, err := f.Fetch(context.Background(), tc.service)
		for i := range got {
			if got[i].Extra == nil {
				got[i].Extra = map[string]string{}
			}
		}
		text := fmt.Sprint(got)
		if err != nil {
			text = err.Error()
		}
		if !strings.Contains(text, tc.want) {
			t.Errorf("%s = %s\nwant %s", tc.service, text, tc.want)
		}
	}
	if _, err := NewDVCQGFetcher(nil, DVCQGOptions{}); err == nil {
		t.Error("a fetcher without a portal client was built")
	}
}
