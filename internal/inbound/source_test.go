package inbound

import (
	"context"
	"database/sql"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hcmc-lgsp/lgsp-connector/connectors"
	isodientu "github.com/hcmc-lgsp/lgsp-connector/connectors/iso-dientu"
	"github.com/hcmc-lgsp/lgsp-connector/internal/testdb"
)

// The whole path with the real SQL source: the portal looks a dossier up
// (on SQLite and on the real MariaDB server), gets DongBoHoSoMC fields
// with download links, and downloads each attachment from the legacy file
// store; an attachment whose stored path leaves the store is refused.
func TestLookupAndDownloadThroughTheSQLSource(t *testing.T) {
	for _, driver := range []string{isodientu.DriverSQLite, isodientu.DriverMySQL} {
		t.Run(driver, func(t *testing.T) {
			var (
				dsn string
				db  *sql.DB
			)
			if driver == isodientu.DriverSQLite {
				dsn = filepath.Join(t.TempDir(), "legacy.db")
				var err error
				if db, err = sql.Open("sqlite", dsn); err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { db.Close() })
			} else {
				dsn, db = testdb.MariaDB(t)
			}
			for _, q := range []string{
				`CREATE TABLE hs_hoso (id INTEGER PRIMARY KEY, so_ho_so VARCHAR(50) NOT NULL, ho_ten VARCHAR(200), trang_thai VARCHAR(20),
					ngay_nhan VARCHAR(20), ma_tthc VARCHAR(20), ngay_cap_nhat VARCHAR(20) NOT NULL)`,
				`CREATE TABLE hs_tai_lieu (id INTEGER PRIMARY KEY, hoso_id INTEGER NOT NULL, ten VARCHAR(200), duong_dan VARCHAR(500))`,
				`INSERT INTO hs_hoso VALUES (17, '` + codeFound + `', '` + applicant + `', 'DANG_XU_LY', '2025-10-15 08:05:00', '1.001193', '2025-10-15 08:05:00')`,
			} {
				if _, err := db.Exec(q); err != nil {
					t.Fatalf("%s: %v", q, err)
				}
			}
			// Bound, not literal: MySQL reads backslashes in literals as escapes.
			if _, err := db.Exec(`INSERT INTO hs_tai_lieu VALUES (501, 17, 'Tờ khai đăng ký khai sinh', ?), (502, 17, 'Bản sao', '../../etc/passwd')`,
				`2025\10\to-khai.pdf`); err != nil {
				t.Fatal(err)
			}
			root := filepath.Join(t.TempDir(), "upload")
			if err := os.MkdirAll(filepath.Join(root, "2025", "10"), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(root, "2025", "10", "to-khai.pdf"), []byte(tepKhai), 0o644); err != nil {
				t.Fatal(err)
			}

			cfg := isodientu.NewDefaultConfig()
			cfg.Driver, cfg.DSN = driver, isodientu.DSN(dsn)
			cfg.Streams = map[string]isodientu.StreamConfig{"ho_so": {
				Query:  "SELECT id, so_ho_so, ho_ten, trang_thai, ngay_nhan, ma_tthc, ngay_cap_nhat FROM hs_hoso",
				Cursor: isodientu.CursorConfig{Updated: "ngay_cap_nhat", Key: "id", UpdatedFormat: "2006-01-02 15:04:05"},
				Children: map[string]isodientu.ChildConfig{"tai_lieu": {
					Query: "SELECT hoso_id, id, ten FROM hs_tai_lieu WHERE hoso_id IN (?) ORDER BY id", Parent: "hoso_id"}},
				Lookup: isodientu.LookupConfig{Column: "so_ho_so"},
			}}
			cfg.Files = &isodientu.FilesConfig{
				Query: "SELECT id, ten, duong_dan FROM hs_tai_lieu WHERE id = ?",
				Root:  root, PathColumn: "duong_dan", NameColumn: "ten",
			}
			src, err := isodientu.NewSource(cfg, connectors.Settings{})
			if err != nil {
				t.Fatal(err)
			}
			if err := src.Start(context.Background()); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { src.Shutdown(context.Background()) })

			e := newEnv(t, func(o *Options) { o.Lookuper, o.Files = src, src })
			a := e.do(t, "GET", "/api/v1/ho-so/"+codeFound, testToken, "")
			if a.status != 200 || len(a.env.Result) != 1 {
				t.Fatalf("lookup: %d %s", a.status, a.body)
			}
			var item struct {
				MaHoSo, ChuHoSo, TrangThaiHoSo, NgayTiepNhan string
				TaiLieuNop                                   []struct{ TepDinhKemId, TenTepDinhKem, DuongDanTaiTepTin string }
			}
			if err := json.Unmarshal(a.env.Result[0], &item); err != nil {
				t.Fatal(err)
			}
			if item.MaHoSo != codeFound || item.ChuHoSo != applicant || item.TrangThaiHoSo != "4" || item.NgayTiepNhan != "20251015080500" || len(item.TaiLieuNop) != 2 {
				t.Fatalf("item = %+v", item)
			}
			got := e.do(t, "GET", linkPath(item.TaiLieuNop[0].DuongDanTaiTepTin), "", "")
			if got.status != 200 || string(got.body) != tepKhai || got.header.Get("Content-Type") != "application/pdf" ||
				!strings.Contains(got.header.Get("Content-Disposition"), "filename*=UTF-8''T%E1%BB%9D%20khai") {
				t.Errorf("download 501: %d %q %v", got.status, got.body, got.header)
			}
			if bad := e.do(t, "GET", linkPath(item.TaiLieuNop[1].DuongDanTaiTepTin), "", ""); bad.status != 403 {
				t.Errorf("download 502 (stored path ../../etc/passwd): %d %s", bad.status, bad.body)
			}
			e.clock.Advance(2 * time.Hour)
			if old := e.do(t, "GET", linkPath(item.TaiLieuNop[0].DuongDanTaiTepTin), "", ""); old.status != 410 {
				t.Errorf("expired link: %d", old.status)
			}
		})
	}
}
