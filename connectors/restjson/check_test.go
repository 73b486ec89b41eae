package restjson

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hcmc-lgsp/lgsp-connector/connectors"
)

// verdicts renders check results as "name: STATUS" lines.
func verdicts(results []connectors.CheckResult) string {
	var b strings.Builder
	for _, r := range results {
		b.WriteString(r.Name + ": " + string(r.Status) + "\n")
	}
	return b.String()
}

func find(t *testing.T, results []connectors.CheckResult, nameHas string) connectors.CheckResult {
	t.Helper()
	for _, r := range results {
		if strings.Contains(r.Name, nameHas) {
			return r
		}
	}
	t.Fatalf("no check named …%s… in:\n%s", nameHas, verdicts(results))
	return connectors.CheckResult{}
}

func TestCheckHealthyAPI(t *testing.T) {
	api := &vendorAPI{mode: "cursor", numeric: true}
	api.add(api.rating("1042", at(8, 0, 0)), api.rating("1043", at(8, 0, 1)))
	srv, ca := startTLSAPI(t, api)
	cfg := apiConfig(srv.URL, ratingsStream("cursor", ""))
	cfg.TLS.CAFile = ca
	src := newSource(t, cfg, connectors.Settings{}) // no Start needed
	results := src.Check(context.Background())
	want := "API: bảo mật kết nối / transport security: OK\n" +
		"luồng / stream danh_gia: kết nối / request: OK\n" +
		"luồng / stream danh_gia: dữ liệu / response: OK\n" +
		"luồng / stream danh_gia: trường khóa và thời gian / key and updated fields: OK\n" +
		"API: đồng hồ / clock: OK\n"
	if got := verdicts(results); got != want {
		t.Errorf("checks:\n%s\nwant:\n%s", got, want)
	}
	if d := find(t, results, "response").Detail; !strings.Contains(d, `items "data.items": 2`) {
		t.Errorf("response detail %q", d)
	}
	if d := find(t, results, "fields").Detail; !strings.Contains(d, `2/2`) || !strings.Contains(d, `key "1042"`) {
		t.Errorf("fields detail %q", d)
	}
}

func TestCheckFindsProblems(t *testing.T) {
	tests := []struct {
		name    string
		api     *vendorAPI
		stream  func(StreamConfig) StreamConfig
		check   string
		status  connectors.CheckStatus
		want    string
		absent  string // a check that must not run
		closeIt bool
	}{
		{name: "credentials refused", api: &vendorAPI{mode: "cursor", failures: []int{401}},
			check: "request", status: connectors.CheckFail, want: "refused the credentials", absent: "response"},
		{name: "wrong path", api: &vendorAPI{mode: "cursor", failures: []int{404}},
			check: "request", status: connectors.CheckFail, want: "streams.danh_gia.path"},
		{name: "unreachable", api: &vendorAPI{mode: "cursor"}, closeIt: true,
			check: "request", status: connectors.CheckFail, want: "unreachable"},
		{name: "not JSON", api: &vendorAPI{override: func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("<html>")) }},
			check: "response", status: connectors.CheckFail, want: "not valid JSON", absent: "fields"},
		{name: "items path absent", api: &vendorAPI{mode: "cursor"},
			stream: func(sc StreamConfig) StreamConfig { sc.Items = "result.rows"; return sc },
			check:  "response", status: connectors.CheckWarn, want: "top-level fields: data"},
		{name: "key field wrong", api: &vendorAPI{mode: "cursor", numeric: true},
			stream: func(sc StreamConfig) StreamConfig { sc.Key = "ma_phieu"; return sc },
			check:  "fields", status: connectors.CheckFail, want: "none of 1 items is readable: ma_phieu"},
		{name: "empty first page", api: &vendorAPI{mode: "cursor", override: func(w http.ResponseWriter, r *http.Request) {
			_, _ = w.Write([]byte(`{"data":{"items":[]}}`))
		}}, check: "fields", status: connectors.CheckWarn, want: "no item to check"},
		{name: "API clock behind by more than the lag", api: &vendorAPI{mode: "cursor", override: func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Date", time.Now().Add(-5*time.Minute).UTC().Format(http.TimeFormat))
			_, _ = w.Write([]byte(`{"data":{"items":[]}}`))
		}}, check: "clock", status: connectors.CheckFail, want: "behind by more than the lag (30s)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.api.override == nil && len(tc.api.failures) == 0 {
				tc.api.add(tc.api.rating("1", at(8, 0, 0)))
			}
			srv := startAPI(t, tc.api)
			sc := ratingsStream("cursor", "")
			if tc.stream != nil {
				sc = tc.stream(sc)
			}
			src := newSource(t, apiConfig(srv.URL, sc), connectors.Settings{})
			if tc.closeIt {
				srv.Close()
			}
			results := src.Check(context.Background())
			r := find(t, results, tc.check)
			if r.Status != tc.status || !strings.Contains(r.Detail+" "+r.Hint, tc.want) {
				t.Errorf("%s: %s %q (hint %q); want %s with %q", r.Name, r.Status, r.Detail, r.Hint, tc.status, tc.want)
			}
			if tc.absent != "" {
				for _, r := range results {
					if strings.Contains(r.Name, tc.absent) {
						t.Errorf("check %q ran after the request failed", r.Name)
					}
				}
			}
			if got := find(t, results, "transport").Status; got != connectors.CheckWarn {
				t.Errorf("transport check on plain http: %s, want WARN", got)
			}
		})
	}
}

// Some items unreadable: a warning, those items will be quarantined.
func TestCheckSomeItemsUnreadable(t *testing.T) {
	api := &vendorAPI{mode: "cursor", numeric: true}
	api.add(api.rating("1", at(8, 0, 0)), vendorItem{at: at(8, 0, 1), key: "2", obj: map[string]any{"id": 2}})
	src := newSource(t, apiConfig(startAPI(t, api).URL, ratingsStream("cursor", "")), connectors.Settings{})
	r := find(t, src.Check(context.Background()), "fields")
	if r.Status != connectors.CheckWarn || !strings.Contains(r.Detail, "1/2") || !strings.Contains(r.Detail, "updated_at") {
		t.Errorf("fields: %s %q", r.Status, r.Detail)
	}
}
