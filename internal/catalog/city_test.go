package catalog

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hcmc-lgsp/lgsp-connector/internal/lgsp"
	"github.com/hcmc-lgsp/lgsp-connector/internal/sandbox"
)

func TestParseCity(t *testing.T) {
	tests := []struct {
		name   string
		body   string
		fields CityFields
		want   string // fmt of the entries, or the error text
	}{
		{
			name: "array with every field",
			body: `[{"Ma":"000.00.01.H29","Ten":"Ủy ban nhân dân Quận 1","MaCha":"000.00.00.H29","HieuLucTu":"2008-01-01","HieuLucDen":"2025-06-30",
				"MaDonViKeNhiem":"000.00.12.H29","CapDonVi":2,"ConHoatDong":false,"DiaChi":{"Duong":"Lê Duẩn"},"GhiChu":null,"Rong":""}]`,
			want: `[{000.00.01.H29 Ủy ban nhân dân Quận 1 000.00.00.H29 map[CapDonVi:2 ConHoatDong:false DiaChi:{"Duong":"Lê Duẩn"} MaDonViKeNhiem:000.00.12.H29] 2008-01-01 2025-06-30}]`,
		},
		{
			name: "wrapped in data, numeric code, nulls",
			body: `{"error_code":"0","data":[{"Ma":79,"Ten":"Thành phố Hồ Chí Minh","MaCha":null,"HieuLucTu":null}]}`,
			want: `[{79 Thành phố Hồ Chí Minh  map[]  }]`,
		},
		{
			name: "wrapped in result",
			body: `{"error_code":0,"result":[{"Ma":"TC01","Ten":"Tổng thời gian"}]}`,
			want: `[{TC01 Tổng thời gian  map[]  }]`,
		},
		{
			name:   "the city's own field names",
			body:   `[{"code":"CB.1","ten_can_bo":"Nguyễn Văn An","don_vi":"000.00.12.H29","tu_ngay":"01/07/2025"}]`,
			fields: CityFields{Code: "code", Name: "ten_can_bo", Parent: "don_vi", ValidFrom: "tu_ngay"},
			want:   `[{CB.1 Nguyễn Văn An 000.00.12.H29 map[] 01/07/2025 }]`,
		},
		{name: "error answer", body: `{"error_code":-1,"message":"Không có quyền"}`, want: "the server answered error_code -1: Không có quyền"},
		{name: "an object without rows", body: `{"error_code":0}`, want: "neither a data nor a result array"},
		{name: "HTML", body: `<html>Not found</html>`, want: "not JSON"},
		{name: "empty", body: ` `, want: "empty response"},
		{name: "item not an object", body: `[1]`, want: "item 0 is not a JSON object"},
		{name: "no code", body: `[{"Ten":"x"}]`, want: `item 0: no code: field "Ma" is missing or empty (set catalogs.city_fields.code`},
		{name: "code is a list", body: `[{"Ma":["a"]}]`, want: `item 0: field "Ma" must be text or a number`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseCity([]byte(tc.body), tc.fields)
			text := ""
			if err != nil {
				text = err.Error()
			} else {
				for i := range got {
					if got[i].Extra == nil {
						got[i].Extra = map[string]string{}
					}
				}
				text = fmt.Sprint(got)
			}
			if !strings.Contains(text, tc.want) {
				t.Errorf("ParseCity =\n%s\nwant\n%s", text, tc.want)
			}
		})
	}
}

func FuzzParseCity(f *testing.F) {
	for _, seed := range []string{
		`[{"Ma":"000.00.01.H29","Ten":"Quận 1","HieuLucDen":"2025-06-30","X":{"a":[1,2]}}]`,
		`{"data":[{"Ma":1}]}`, `{"error_code":"1","message":"x"}`, `[]`, `[null]`, `{"result":null}`, `"x"`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		entries, err := ParseCity(body, CityFields{})
		if err != nil {
			return
		}
		for _, e := range entries {
			if strings.TrimSpace(e.Code) == "" {
				t.Fatalf("entry without a code accepted: %+v", e)
			}
		}
		// Whatever parses either stores or is refused with a reason.
		if _, err := normalize("fuzz", entries); err != nil && err.Error() == "" {
			t.Fatal("empty error")
		}
	})
}

// sandboxClock is the sandbox's settable clock.
type sandboxClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *sandboxClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *sandboxClock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

const (
	sandboxID     = "catalog-test"
	sandboxSecret = "catalog-test-secret"
)

// startSandbox runs the LGSP sandbox with the given outages and returns
// an LGSP client for it with the given secret.
func startSandbox(t *testing.T, clock *sandboxClock, secret string, outages ...sandbox.Window) (*sandbox.Server, *lgsp.Client) {
	t.Helper()
	sb, err := sandbox.New(sandbox.Options{ClientID: sandboxID, ClientSecret: sandboxSecret, Now: clock.Now, Outages: outages})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sb.Handler())
	t.Cleanup(srv.Close)
	client, err := lgsp.New(lgsp.Options{BaseURL: srv.URL, ClientID: sandboxID, ClientSecret: secret, QuickRetries: -1, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	return sb, client
}

// TestCitySyncAgainstSandbox: the four city catalogs, fetched through the
// real LGSP transport from the sandbox, land in the cache with their
// validity dates; a failed refresh keeps them.
func TestCitySyncAgainstSandbox(t *testing.T) {
	ctx := context.Background()
	clock := &sandboxClock{t: time.Date(2026, 3, 2, 3, 0, 0, 0, Zone)}
	outage := sandbox.Window{Start: time.Date(2026, 3, 3, 0, 0, 0, 0, Zone), End: time.Date(2026, 3, 3, 6, 0, 0, 0, Zone)}
	sb, client := startSandbox(t, clock, sandboxSecret, outage)
	store := openStore(t, filepath.Join(t.TempDir(), "catalogs.db"))

	city, err := NewCityFetcher(LGSPGetter{Client: client}, sandbox.CatalogPaths(), CityFields{})
	if err != nil {
		t.Fatal(err)
	}
	fetchers := map[string]Fetcher{}
	for _, name := range city.Names() {
		fetchers[name] = city
	}
	syncer, err := NewSyncer(store, fetchers, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	results, err := syncer.Sync(ctx)
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string]int{}
	for _, r := range results {
		rows[r.Name] = r.Info.Rows
		if r.Info.Source != "lgsp "+sandbox.CatalogPaths()[r.Name] {
			t.Errorf("%s source = %q", r.Name, r.Info.Source)
		}
	}
	if fmt.Sprint(rows) != "map[officials:12 procedures:11 rating_criteria:9 units:58]" {
		t.Errorf("rows = %v", rows)
	}
	if fmt.Sprint(sb.CatalogCalls()) != "map[officials:1 procedures:1 rating_criteria:1 units:1]" {
		t.Errorf("sandbox served %v", sb.CatalogCalls())
	}

	lookups := []struct {
		catalog, code string
		at            time.Time
		want          string
	}{
		{"units", "000.00.12.H29", vn(2025, 7, 1, 8, 0), "Ủy ban nhân dân phường Sài Gòn"},
		{"units", "000.00.12.H29", vn(2025, 6, 30, 8, 0), ""},
		{"units", "000.00.01.H29", vn(2025, 6, 30, 8, 0), "Ủy ban nhân dân Quận 1"},
		{"units", "000.00.01.H29", vn(2025, 7, 1, 8, 0), ""},
		{"units", "000.00.52.H29", vn(2026, 1, 1, 8, 0), "Ủy ban nhân dân đặc khu Côn Đảo"},
		{"procedures", "1.001193", vn(2026, 1, 1, 8, 0), "Đăng ký khai sinh"},
		{"procedures", "2.000815", vn(2025, 8, 1, 8, 0), ""},
		{"rating_criteria", "TC09", vn(2026, 1, 1, 8, 0), "Tiến độ, chất lượng cung cấp dịch vụ công trực tuyến của cơ quan có thẩm quyền"},
		{"officials", "CB.000.00.01.H29.0007", vn(2025, 8, 1, 8, 0), ""},
	}
	for _, l := range lookups {
		e, ok := store.Get(l.catalog, l.code, l.at)
		if got := map[bool]string{true: e.Name, false: ""}[ok]; got != l.want {
			t.Errorf("%s %s on %s = %q, want %q", l.catalog, l.code, Day(l.at), got, l.want)
		}
	}
	if e, _ := store.Get("units", "000.00.01.H29", vn(2025, 1, 1, 0, 0)); e.Extra["MaDonViKeNhiem"] != "000.00.12.H29" || e.Parent != "000.00.00.H29" {
		t.Errorf("Quận 1 = %+v", e)
	}
	if e, _ := store.Get("procedures", "1.001193", t0); e.Extra["MaLinhVuc"] != "H29-HT" || e.Extra["TenLinhVuc"] != "Hộ tịch" {
		t.Errorf("procedure extra = %+v", e.Extra)
	}

	// During an outage the refresh fails, says so, and the cache stays.
	clock.Set(outage.Start.Add(time.Hour))
	results, err = syncer.Sync(ctx, "units")
	if err == nil || !strings.Contains(err.Error(), "503") || results[0].Info.Rows != 58 {
		t.Fatalf("sync during an outage = %v (%+v)", err, results)
	}
	list, _ := store.List(ctx)
	for _, i := range list {
		if i.Name == "units" && (i.Rows != 58 || !strings.Contains(i.LastError, "sandbox outage")) {
			t.Errorf("units after a failed refresh = %+v", i)
		}
	}
	if _, ok := store.Get("units", "000.00.12.H29", vn(2025, 9, 1, 0, 0)); !ok {
		t.Error("the failed refresh emptied the cache")
	}
}

func TestCityRefusedCredentials(t *testing.T) {
	clock := &sandboxClock{t: t0}
	_, client := startSandbox(t, clock, "wrong-secret")
	city, err := NewCityFetcher(LGSPGetter{Client: client}, map[string]string{"units": sandbox.CatalogPaths()["units"]}, CityFields{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = city.Fetch(context.Background(), "units")
	if !errors.Is(err, lgsp.ErrConfig) {
		t.Errorf("fetch with a wrong client secret = %v, want lgsp.ErrConfig", err)
	}
	if _, err := city.Fetch(context.Background(), "officials"); err == nil || !strings.Contains(err.Error(), "catalogs.city.officials") {
		t.Errorf("fetch of an unconfigured catalog = %v", err)
	}
}

// TestSyncerKeepsCacheOnEmptyAnswer: an empty answer where entries were
// cached is refused; every other catalog is still refreshed.
func TestSyncerKeepsCacheOnEmptyAnswer(t *testing.T) {
	ctx := context.Background()
	store := openStore(t, filepath.Join(t.TempDir(), "catalogs.db"))
	answers := map[string][]Entry{
		"units":      {{Code: "000.00.12.H29", Name: "Phường Sài Gòn"}},
		"procedures": {{Code: "1.001193", Name: "Đăng ký khai sinh"}},
	}
	var mu sync.Mutex
	fetch := FetcherFunc(func(_ context.Context, name string) ([]Entry, error) {
		mu.Lock()
		defer mu.Unlock()
		return answers[name], nil
	})
	syncer, err := NewSyncer(store, map[string]Fetcher{"units": fetch, "procedures": fetch}, []string{"units"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(syncer.Names(), ","); got != "units,procedures" {
		t.Errorf("Names = %s", got)
	}
	if _, err := syncer.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	answers["units"] = nil
	answers["procedures"] = append(answers["procedures"], Entry{Code: "1.000894", Name: "Đăng ký kết hôn"})
	mu.Unlock()
	results, err := syncer.Sync(ctx)
	if err == nil || !strings.Contains(err.Error(), "answered with no entries; keeping the 1 cached ones") {
		t.Fatalf("Sync = %v", err)
	}
	if results[1].Err != nil || results[1].Info.Rows != 2 {
		t.Errorf("procedures was not refreshed: %+v", results[1])
	}
	if _, ok := store.Get("units", "000.00.12.H29", t0); !ok {
		t.Error("units emptied")
	}
	if _, err := syncer.Sync(ctx, "officals"); err == nil || !strings.Contains(err.Error(), `catalog "officals" is not configured for refresh (configured: units, procedures)`) {
		t.Errorf("Sync of an unknown catalog = %v", err)
	}
	// SyncMissing fetches only what was never fetched.
	if err := syncer.SyncMissing(ctx, "units", "procedures"); err != nil {
		t.Errorf("SyncMissing with everything loaded = %v", err)
	}
}
