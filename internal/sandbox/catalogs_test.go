package sandbox

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"testing"
	"time"
)

func getCatalog(t *testing.T, h http.Handler, path, tok string) (int, []byte) {
	t.Helper()
	req := httptest.NewRequest("GET", path, nil)
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	body, _ := io.ReadAll(rec.Result().Body)
	return rec.Code, body
}

// TestCatalogEndpoints: every city catalog is served to a client with a
// token, in the documented shape; without a token, or in an outage, it
// is refused like any LGSP API; calls are counted apart from packets.
func TestCatalogEndpoints(t *testing.T) {
	clock := newFakeClock()
	o := testOptions(clock)
	o.Outages = []Window{{Start: clock.Now().Add(time.Hour), End: clock.Now().Add(2 * time.Hour)}}
	s := mustNew(t, o)
	h := s.Handler()
	tok := token(t, h)

	paths := CatalogPaths()
	names := make([]string, 0, len(paths))
	for n := range paths {
		names = append(names, n)
	}
	sort.Strings(names)
	if len(names) != 4 {
		t.Fatalf("catalogs = %v", names)
	}
	for _, name := range names {
		status, body := getCatalog(t, h, paths[name], tok)
		var rows []map[string]any
		if status != http.StatusOK || json.Unmarshal(body, &rows) != nil || len(rows) == 0 {
			t.Fatalf("GET %s = %d %.200s", paths[name], status, body)
		}
		seen := map[string]bool{}
		for i, r := range rows {
			code, _ := r["Ma"].(string)
			if code == "" || r["Ten"] == "" {
				t.Errorf("%s row %d has no Ma/Ten: %v", name, i, r)
			}
			key := code + "|" + str(r["HieuLucTu"])
			if seen[key] {
				t.Errorf("%s: %s appears twice for the same period", name, code)
			}
			seen[key] = true
		}
	}
	if status, _ := getCatalog(t, h, paths["units"], ""); status != http.StatusUnauthorized {
		t.Errorf("without a token: %d", status)
	}
	if status, _ := getCatalog(t, h, paths["units"], "not-a-token"); status != http.StatusUnauthorized {
		t.Errorf("with an unknown token: %d", status)
	}
	clock.Advance(90 * time.Minute)
	if status, _ := getCatalog(t, h, paths["units"], tok); status != http.StatusServiceUnavailable {
		t.Errorf("in an outage: %d", status)
	}

	calls := s.CatalogCalls()
	for _, n := range names {
		if calls[n] != 1 {
			t.Errorf("%s served %d times, want 1 (refusals are not counted)", n, calls[n])
		}
	}
	if st := s.Stats(); st.Received != 0 {
		t.Errorf("catalog reads counted as packet requests: %+v", st)
	}
	clock.Advance(time.Hour) // past the outage; the admin API takes a fresh access token
	status, body := getCatalog(t, h, "/sandbox/catalogs", token(t, h))
	var admin struct {
		Paths map[string]string `json:"paths"`
		Calls map[string]int    `json:"calls"`
	}
	if status != http.StatusOK || json.Unmarshal(body, &admin) != nil || admin.Calls["units"] != 1 || admin.Paths["officials"] != "/danh-muc/1.0/can-bo" {
		t.Errorf("GET /sandbox/catalogs = %d %s", status, body)
	}
}

func str(v any) string {
	s, _ := v.(string)
	return s
}
