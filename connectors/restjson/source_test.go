package restjson

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hcmc-lgsp/lgsp-connector/connectors"
)

// The cursor style sends the last position as since/after_id, written in
// the vendor's zone, and hands out the items with their JSON values.
func TestCursorRequestsAndValues(t *testing.T) {
	api := &vendorAPI{mode: "cursor", numeric: true}
	api.add(api.rating("2", at(8, 0, 0)), api.rating("1", at(8, 0, 0)), api.rating("10", at(8, 5, 0)))
	src := startSource(t, apiConfig(startAPI(t, api).URL, ratingsStream("cursor", "")), fixedNow(farFuture))

	b := read(t, src, connectors.Cursor{}, 2)
	if got := keysOf(b.Records); !slices.Equal(got, []string{"1", "2"}) || !b.More {
		t.Fatalf("first read: keys %v More=%v; want [1 2] and More", got, b.More)
	}
	want := connectors.Record{
		Stream: "danh_gia", Key: "1",
		Cursor: connectors.Cursor{Updated: at(8, 0, 0), Key: "1"},
		Values: map[string]any{"id": json.Number("1"), "updated_at": "2024-03-01T08:00:00+07:00", "muc_do": json.Number("1"), "ma_ho_so": "HS-1"},
	}
	got := b.Records[0]
	if got.Stream != want.Stream || got.Key != want.Key || !got.Cursor.Updated.Equal(want.Cursor.Updated) || got.Cursor.Key != "1" || !reflect.DeepEqual(got.Values, want.Values) {
		t.Errorf("record = %#v\nwant %#v", got, want)
	}
	if !b.Next.Updated.Equal(at(8, 0, 0)) || b.Next.Key != "2" {
		t.Errorf("Next = %s, want (08:00:00, 2)", describeCursor(b.Next))
	}

	b = read(t, src, b.Next, 2)
	if got := keysOf(b.Records); !slices.Equal(got, []string{"10"}) || b.More {
		t.Errorf("second read: keys %v More=%v; want [10], no More", got, b.More)
	}
	reqs := api.seenRequests()
	if len(reqs) != 2 {
		t.Fatalf("%d requests, want 2", len(reqs))
	}
	first, second := reqs[0].query, reqs[1].query
	if first.Has("since") || first.Has("after_id") || first.Get("page_size") != "100" {
		t.Errorf("first request query %v; want only page_size=100", first)
	}
	if second.Get("since") != "2024-03-01T08:00:00+07:00" || second.Get("after_id") != "2" || second.Get("page_size") != "100" {
		t.Errorf("second request query %v; want since=2024-03-01T08:00:00+07:00 after_id=2 page_size=100", second)
	}
	if reqs[0].method != http.MethodGet || reqs[0].path != "/api/v1/ratings" || reqs[0].header.Get("Accept") != "application/json" {
		t.Errorf("request %s %s Accept %q", reqs[0].method, reqs[0].path, reqs[0].header.Get("Accept"))
	}
}

// Items updated within the lag window wait: the cursor must not pass a
// time the vendor may still write to. The clock is injected.
func TestLagRespected(t *testing.T) {
	for _, mode := range []string{"cursor", "page", "next_token"} {
		t.Run(mode, func(t *testing.T) {
			api := &vendorAPI{mode: mode, numeric: true}
			api.add(api.rating("1", at(8, 0, 0)), api.rating("2", at(8, 0, 20)), api.rating("3", at(8, 0, 25)))
			clk := &clock{t: at(8, 0, 45)} // now − lag (30s) = 08:00:15
			src := startSource(t, apiConfig(startAPI(t, api).URL, ratingsStream(mode, "")), connectors.Settings{Now: clk.Now})

			b := read(t, src, connectors.Cursor{}, 10)
			if got := keysOf(b.Records); !slices.Equal(got, []string{"1"}) || b.More {
				t.Fatalf("at 08:00:45: keys %v More=%v; want [1] (2 and 3 are within the 30s lag)", got, b.More)
			}
			clk.Set(at(8, 0, 50)) // window up to 08:00:20: 2 is out, 3 not yet
			b = read(t, src, b.Next, 10)
			if got := keysOf(b.Records); !slices.Equal(got, []string{"2"}) {
				t.Fatalf("at 08:00:50: keys %v; want [2]", got)
			}
			clk.Set(at(8, 1, 0))
			b = read(t, src, b.Next, 10)
			if got := keysOf(b.Records); !slices.Equal(got, []string{"3"}) {
				t.Fatalf("at 08:01:00: keys %v; want [3]", got)
			}
		})
	}
}

// Fixed headers (with ${ENV} expanded), the bearer token and fixed query
// parameters reach the API; none of them shows in logs or errors.
func TestCredentialsSentNeverShown(t *testing.T) {
	const apiKey, token, queryKey = "k10sk-S3cret-key", "tok-ABCDEFGH-123", "q-SECRET-987"
	t.Setenv("KIOSK_API_KEY", apiKey)
	api := &vendorAPI{mode: "cursor", numeric: true}
	api.add(api.rating("1", at(8, 0, 0)))
	sc := ratingsStream("cursor", "")
	sc.Query = map[string]Secret{"api_key": queryKey, "unit": "000.00.12.H29"}
	cfg := apiConfig(startAPI(t, api).URL, sc)
	cfg.Headers = map[string]Secret{"X-Api-Key": "${KIOSK_API_KEY}"}
	cfg.BearerToken = token
	var logs logBuffer
	src := startSource(t, cfg, connectors.Settings{Now: func() time.Time { return farFuture }, Logger: logs.logger()})

	read(t, src, connectors.Cursor{}, 10)
	req := api.seenRequests()[0]
	if got := req.header.Get("X-Api-Key"); got != apiKey {
		t.Errorf("X-Api-Key = %q, want the expanded environment value", got)
	}
	if got := req.header.Get("Authorization"); got != "Bearer "+token {
		t.Errorf("Authorization = %q", got)
	}
	if req.query.Get("api_key") != queryKey || req.query.Get("unit") != "000.00.12.H29" {
		t.Errorf("query %v lacks the fixed parameters", req.query)
	}

	// An error names the request without the fixed values.
	api.mu.Lock()
	api.failures = []int{http.StatusUnauthorized}
	api.mu.Unlock()
	_, err := src.Read(context.Background(), "danh_gia", connectors.Cursor{}, 10)
	if err == nil {
		t.Fatal("Read after 401: no error")
	}
	for _, text := range []string{err.Error(), logs.String(), fmt.Sprintf("%v %+v %#v", cfg, cfg, cfg)} {
		for _, secret := range []string{apiKey, token, queryKey} {
			if strings.Contains(text, secret) {
				t.Errorf("secret %q shown in:\n%s", secret, text)
			}
		}
	}
	if !strings.Contains(err.Error(), "api_key=[REDACTED]") {
		t.Errorf("error does not show the request with the fixed value hidden: %v", err)
	}
	raw, _ := json.Marshal(cfg)
	if strings.Contains(string(raw), apiKey) || strings.Contains(string(raw), token) || strings.Contains(string(raw), queryKey) {
		t.Errorf("JSON of the config shows a secret: %s", raw)
	}
}

// Transient failures are retried a few times; 401 and other 4xx are not,
// and the error says what to do.
func TestRetriesAndHTTPErrors(t *testing.T) {
	tests := []struct {
		name       string
		failures   []int
		retryAfter string
		wantOK     bool
		wantReqs   int
		wantErr    []string
	}{
		{name: "503 then 429 then OK", failures: []int{503, 429}, retryAfter: "0", wantOK: true, wantReqs: 3},
		{name: "500 every time", failures: []int{500, 500, 500, 500, 500}, wantReqs: 4,
			wantErr: []string{`stream "danh_gia"`, "/api/v1/ratings", "HTTP 500", "after 4 attempts", "polls again later"}},
		{name: "429 asking for longer than the timeout", failures: []int{429}, retryAfter: "120", wantReqs: 1,
			wantErr: []string{"HTTP 429"}},
		{name: "401", failures: []int{401}, wantReqs: 1,
			wantErr: []string{`stream "danh_gia"`, "GET http://", "/api/v1/ratings", "HTTP 401 Unauthorized", "refused the credentials", "bearer_token"}},
		{name: "404", failures: []int{404}, wantReqs: 1, wantErr: []string{"HTTP 404", "streams.danh_gia.path"}},
		{name: "400", failures: []int{400}, wantReqs: 1, wantErr: []string{"HTTP 400", "rejected the request"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			api := &vendorAPI{mode: "cursor", numeric: true, failures: tc.failures, retryAfter: tc.retryAfter}
			api.add(api.rating("1", at(8, 0, 0)))
			src := startSource(t, apiConfig(startAPI(t, api).URL, ratingsStream("cursor", "")), fixedNow(farFuture))
			b, err := src.Read(context.Background(), "danh_gia", connectors.Cursor{}, 10)
			if n := len(api.seenRequests()); n != tc.wantReqs {
				t.Errorf("%d requests, want %d", n, tc.wantReqs)
			}
			if tc.wantOK {
				if err != nil || len(b.Records) != 1 {
					t.Fatalf("Read: %d records, %v; want the item after the retries", len(b.Records), err)
				}
				return
			}
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

func TestRetryAfterHonoured(t *testing.T) {
	now := time.Date(2024, 3, 1, 8, 0, 0, 0, time.UTC)
	tests := []struct {
		header string
		want   time.Duration
		ok     bool
	}{
		{"3", 3 * time.Second, true},
		{"0", 0, true},
		{"Fri, 01 Mar 2024 08:00:07 GMT", 7 * time.Second, true},
		{"Fri, 01 Mar 2024 07:59:00 GMT", 0, true}, // in the past: at once
		{"-1", 0, false},
		{"soon", 0, false},
		{"", 0, false},
	}
	for _, tc := range tests {
		got, ok := parseRetryAfter(tc.header, now)
		if got != tc.want || ok != tc.ok {
			t.Errorf("parseRetryAfter(%q) = %s, %v; want %s, %v", tc.header, got, ok, tc.want, tc.ok)
		}
	}
	resp := &http.Response{StatusCode: 429, Header: http.Header{"Retry-After": {"2"}}}
	if d := backoff(time.Millisecond, 5*time.Millisecond, 0, resp, 30*time.Second); d != 2*time.Second {
		t.Errorf("backoff with Retry-After 2 = %s, want 2s (the header wins over the short wait bounds)", d)
	}
	resp.Header.Set("Retry-After", "90")
	if d := backoff(time.Millisecond, 5*time.Millisecond, 0, resp, 30*time.Second); d != 30*time.Second {
		t.Errorf("backoff with Retry-After 90 = %s, want the 30s cap", d)
	}
	if d := backoff(100*time.Millisecond, time.Second, 2, nil, 30*time.Second); d < 200*time.Millisecond || d > 400*time.Millisecond {
		t.Errorf("backoff attempt 2 = %s, want within [200ms, 400ms] (400ms with equal jitter)", d)
	}
	retry, _ := checkRetry(context.Background(), &http.Response{StatusCode: 429, Header: http.Header{"Retry-After": {"120"}}}, nil, 30*time.Second)
	if retry {
		t.Error("a 429 asking for 120s is retried inside a 30s timeout")
	}
}

// Network errors are retried and reported with a hint.
func TestNetworkErrorRetried(t *testing.T) {
	srv := startAPI(t, &vendorAPI{mode: "cursor"})
	url := srv.URL
	srv.Close()
	src := startSource(t, apiConfig(url, ratingsStream("cursor", "")), fixedNow(farFuture))
	_, err := src.Read(context.Background(), "danh_gia", connectors.Cursor{}, 10)
	var re *requestError
	if err == nil || !errorsAs(err, &re) || re.kind != kindNetwork || re.attempts != 4 {
		t.Fatalf("Read from a closed server: %v (attempts %v); want a network error after 4 attempts", err, re)
	}
	if !strings.Contains(err.Error(), "check base_url, the network") {
		t.Errorf("error lacks the hint: %v", err)
	}
}

// Items the connector cannot place or identify are quarantined through a
// RecordError naming the field; the others flow on and the cursor passes
// them all.
func TestBadItemsQuarantined(t *testing.T) {
	api := &vendorAPI{mode: "cursor", numeric: true}
	good := func(k string, t time.Time) vendorItem { return api.rating(k, t) }
	withObj := func(k string, t time.Time, obj any) vendorItem { return vendorItem{at: t, key: k, obj: obj} }
	api.add(
		good("1", at(8, 0, 0)),
		withObj("2", at(8, 0, 1), map[string]any{"id": json.Number("2"), "muc_do": json.Number("1")}),
		withObj("3", at(8, 0, 2), map[string]any{"id": json.Number("3"), "updated_at": "hôm qua"}),
		withObj("4", at(8, 0, 3), map[string]any{"updated_at": at(8, 0, 3).Format(time.RFC3339)}),
		withObj("4a", at(8, 0, 4), "oops"),
		good("5", at(8, 0, 5)),
		withObj("6", at(8, 0, 6), map[string]any{"id": "HS-6", "updated_at": at(8, 0, 6).Format(time.RFC3339)}),
	)
	src := startSource(t, apiConfig(startAPI(t, api).URL, ratingsStream("cursor", "")), fixedNow(farFuture))

	b := read(t, src, connectors.Cursor{}, 100)
	type want struct {
		keyPrefix string
		field     string
		reason    string
		cursor    connectors.Cursor
	}
	wants := []want{
		{"1", "", "", connectors.Cursor{Updated: at(8, 0, 0), Key: "1"}},
		{"2", "updated_at", "updated is missing", connectors.Cursor{Updated: at(8, 0, 0), Key: "1"}},
		{"3", "updated_at", "does not match", connectors.Cursor{Updated: at(8, 0, 0), Key: "1"}},
		{"#", "id", "key is missing", connectors.Cursor{Updated: at(8, 0, 3)}},
		{"#", "data.items", "not an object", connectors.Cursor{Updated: at(8, 0, 3)}},
		{"5", "", "", connectors.Cursor{Updated: at(8, 0, 5), Key: "5"}},
		{"HS-6#", "id", "not an integer", connectors.Cursor{Updated: at(8, 0, 6)}},
	}
	if len(b.Records) != len(wants) {
		t.Fatalf("%d records %v, want %d", len(b.Records), keysOf(b.Records), len(wants))
	}
	for i, w := range wants {
		r := b.Records[i]
		rerr := connectors.RecordErrorOf(r)
		switch {
		case !strings.HasPrefix(r.Key, w.keyPrefix) || (w.keyPrefix != "#" && !strings.HasSuffix(w.keyPrefix, "#") && r.Key != w.keyPrefix):
			t.Errorf("record %d: key %q, want %q…", i, r.Key, w.keyPrefix)
		case w.field == "" && rerr != nil:
			t.Errorf("record %d (%s): unexpected error %v", i, r.Key, rerr)
		case w.field != "" && (rerr == nil || rerr.Field != w.field || !strings.Contains(rerr.Reason, w.reason)):
			t.Errorf("record %d (%s): error %v, want field %q and reason with %q", i, r.Key, rerr, w.field, w.reason)
		}
		if !r.Cursor.Updated.Equal(w.cursor.Updated) || r.Cursor.Key != w.cursor.Key {
			t.Errorf("record %d (%s): cursor %s, want %s", i, r.Key, describeCursor(r.Cursor), describeCursor(w.cursor))
		}
	}
	if rerr := connectors.RecordErrorOf(b.Records[2]); rerr.Value != "hôm qua" {
		t.Errorf("unparsable time's Value = %q, want the raw text", rerr.Value)
	}
	if b.Records[3].Key == b.Records[4].Key {
		t.Errorf("two key-less items share the record key %q", b.Records[3].Key)
	}

	// The pipeline continues from Next: what was reported is not reported
	// again, and nothing is left.
	b2 := read(t, src, b.Next, 100)
	if len(b2.Records) != 0 {
		t.Errorf("read after the batch: %v, want nothing", keysOf(b2.Records))
	}
	// A new item after them flows.
	api.add(good("7", at(8, 0, 7)))
	b3 := read(t, src, b2.Next, 100)
	if got := keysOf(b3.Records); !slices.Equal(got, []string{"7"}) {
		t.Errorf("read of a new item: %v, want [7]", got)
	}
}

// A batch that was not committed (the pipeline reads again from the same
// cursor) reports its quarantined items again: they are never lost.
func TestBadItemsReportedAgainAfterRetry(t *testing.T) {
	for _, mode := range []string{"cursor", "page"} {
		t.Run(mode, func(t *testing.T) {
			api := &vendorAPI{mode: mode, numeric: true}
			api.add(api.rating("1", at(8, 0, 0)), vendorItem{at: at(8, 0, 1), key: "2", obj: map[string]any{"id": json.Number("2")}})
			src := startSource(t, apiConfig(startAPI(t, api).URL, ratingsStream(mode, "")), fixedNow(farFuture))

			count := func(b connectors.Batch) int {
				n := 0
				for _, r := range b.Records {
					if connectors.RecordErrorOf(r) != nil {
						n++
					}
				}
				return n
			}
			first := read(t, src, connectors.Cursor{}, 10)
			if count(first) != 1 {
				t.Fatalf("first read: %d quarantined, want 1", count(first))
			}
			retry := read(t, src, connectors.Cursor{}, 10) // as after a failed commit
			if count(retry) != 1 {
				t.Errorf("re-read from the same cursor: %d quarantined, want 1 again", count(retry))
			}
			next := read(t, src, retry.Next, 10) // committed: continue
			if count(next) != 0 {
				t.Errorf("read after the committed batch: %d quarantined, want 0", count(next))
			}
		})
	}
}

// Paging styles that cannot filter hand out the bad items first, at the
// cursor, and the good ones in order.
func TestBadItemsInPageWalk(t *testing.T) {
	api := &vendorAPI{mode: "page", numeric: true}
	api.add(api.rating("3", at(8, 0, 3)), vendorItem{at: at(8, 0, 1), key: "x", obj: map[string]any{"id": json.Number("9")}}, api.rating("1", at(8, 0, 1)))
	src := startSource(t, apiConfig(startAPI(t, api).URL, ratingsStream("page", "")), fixedNow(farFuture))
	b := read(t, src, connectors.Cursor{}, 10)
	if got := keysOf(b.Records); !slices.Equal(got, []string{"9", "1", "3"}) {
		t.Fatalf("keys %v, want [9 1 3] (the unplaceable item first)", got)
	}
	if rerr := connectors.RecordErrorOf(b.Records[0]); rerr == nil || rerr.Field != "updated_at" || !b.Records[0].Cursor.IsZero() {
		t.Errorf("first record: error %v at %s; want updated_at at the start cursor", rerr, describeCursor(b.Records[0].Cursor))
	}
}

// Values: every top-level field, nested objects as JSON text, arrays of
// objects as child lists; with fields, picked (and renamed) by dot path.
func TestItemValues(t *testing.T) {
	obj := map[string]any{
		"id": json.Number("7"), "updated_at": "2024-03-01T08:00:00+07:00", "ok": true, "note": nil,
		"nguoi_danh_gia": map[string]any{"ho_ten": "Nguyễn Văn A", "sdt": "0901"},
		"tra_loi":        []any{map[string]any{"chi_tieu": "7", "diem": json.Number("2")}},
		"tags":           []any{"a", json.Number("1")},
	}
	spec := &itemSpec{stream: "danh_gia", key: []string{"id"}, keyName: "id", keyType: KeyInt,
		upd: []string{"updated_at"}, updName: "updated_at", formats: compileFormats(defaultUpdatedFormats), loc: vn}
	it := spec.makeItem(obj)
	want := map[string]any{
		"id": json.Number("7"), "updated_at": "2024-03-01T08:00:00+07:00", "ok": true, "note": nil,
		"nguoi_danh_gia": `{"ho_ten":"Nguyễn Văn A","sdt":"0901"}`,
		"tra_loi":        []map[string]any{{"chi_tieu": "7", "diem": json.Number("2")}},
		"tags":           `["a",1]`,
	}
	if !it.placed || !reflect.DeepEqual(it.rec.Values, want) {
		t.Errorf("values = %#v\nwant %#v", it.rec.Values, want)
	}

	spec.fields = []fieldPick{{path: []string{"nguoi_danh_gia", "ho_ten"}, column: "ho_ten"}, {path: []string{"ma_ho_so"}, column: "so_ho_so"}, {path: []string{"id"}, column: "id"}}
	it = spec.makeItem(obj)
	want = map[string]any{"ho_ten": "Nguyễn Văn A", "so_ho_so": nil, "id": json.Number("7")}
	if !reflect.DeepEqual(it.rec.Values, want) {
		t.Errorf("picked values = %#v\nwant %#v", it.rec.Values, want)
	}
}

func TestParseTime(t *testing.T) {
	utc := time.UTC
	tests := []struct {
		in      any
		formats []string
		want    time.Time
		err     string
	}{
		{"2024-03-01T08:00:00+07:00", nil, at(8, 0, 0), ""},
		{"2024-03-01T01:00:00Z", nil, at(8, 0, 0), ""},
		{"2024-03-01T08:00:00.250+07:00", nil, at(8, 0, 0).Add(250 * time.Millisecond), ""},
		{"2024-03-01T08:00:00", nil, at(8, 0, 0), ""}, // zone-less: the configured zone
		{"2024-03-01 08:00:00", nil, at(8, 0, 0), ""},
		{json.Number("1709254800"), []string{"unix"}, at(8, 0, 0), ""},
		{"1709254800", []string{"unix"}, at(8, 0, 0), ""},
		{json.Number("1709254800.5"), []string{"unix"}, at(8, 0, 0).Add(500 * time.Millisecond), ""},
		{json.Number("1709254800250"), []string{"unix_ms"}, at(8, 0, 0).Add(250 * time.Millisecond), ""},
		{"01/03/2024 08:00", []string{"02/01/2006 15:04"}, at(8, 0, 0), ""},
		{json.Number("20240301080000"), []string{"20060102150405"}, at(8, 0, 0), ""},
		{"01/03/2024", nil, time.Time{}, `does not match any of the formats RFC3339, "2006-01-02T15:04:05", "2006-01-02 15:04:05"`},
		{json.Number("1e9"), []string{"unix"}, time.Time{}, "does not match the format unix"},
		{json.Number("99999999999999999"), []string{"unix"}, time.Time{}, "does not match"},
		{"", nil, time.Time{}, "is empty"},
		{nil, nil, time.Time{}, "is null"},
		{true, nil, time.Time{}, "is a JSON boolean"},
		{"0000-01-01T00:00:00Z", nil, time.Time{}, "outside 1–9999"},
	}
	for _, tc := range tests {
		formats := tc.formats
		if formats == nil {
			formats = defaultUpdatedFormats
		}
		got, err := parseTime(tc.in, compileFormats(formats), vn)
		switch {
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("parseTime(%v, %v) = %v, %v; want error with %q", tc.in, formats, got, err, tc.err)
		case tc.err == "" && (err != nil || !got.Equal(tc.want)):
			t.Errorf("parseTime(%v, %v) = %v, %v; want %v", tc.in, formats, got, err, tc.want.In(utc))
		}
	}
}

func TestParseKeyAndOrder(t *testing.T) {
	tests := []struct {
		in      any
		keyType string
		want    string
		err     string
	}{
		{json.Number("42"), KeyInt, "42", ""},
		{json.Number("42.0"), KeyInt, "42", ""},
		{json.Number("4.2e1"), KeyInt, "42", ""},
		{"007", KeyInt, "7", ""},
		{json.Number("4.5"), KeyInt, "", "not a whole 64-bit number"},
		{"HS-1", KeyInt, "", "set key_type: string"},
		{"HS-1", KeyString, "HS-1", ""},
		{json.Number("007"), KeyString, "007", ""},
		{"", KeyString, "", "is empty"},
		{nil, KeyInt, "", "is null"},
		{map[string]any{}, KeyString, "", "JSON object"},
	}
	for _, tc := range tests {
		got, err := parseKey(tc.in, tc.keyType)
		if got != tc.want || (tc.err == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.err)) {
			t.Errorf("parseKey(%v, %s) = %q, %v; want %q, %q", tc.in, tc.keyType, got, err, tc.want, tc.err)
		}
	}
	order := []struct {
		a, b, keyType string
		want          int
	}{
		{"9", "10", KeyInt, -1},
		{"9", "10", KeyString, 1},
		{"-5", "3", KeyInt, -1},
		{"", "1", KeyInt, -1},
		{"b", "", KeyString, 1},
		{"k1", "k1", KeyString, 0},
	}
	for _, tc := range order {
		if got := compareKeys(tc.a, tc.b, tc.keyType); got != tc.want {
			t.Errorf("compareKeys(%q, %q, %s) = %d, want %d", tc.a, tc.b, tc.keyType, got, tc.want)
		}
	}
}

// Over TLS the vendor's CA is needed; without it the error says so at
// once (no retries), and insecure_skip_verify works but warns loudly.
func TestTLS(t *testing.T) {
	api := &vendorAPI{mode: "cursor", numeric: true}
	api.add(api.rating("1", at(8, 0, 0)))
	srv, ca := startTLSAPI(t, api)

	cfg := apiConfig(srv.URL, ratingsStream("cursor", ""))
	cfg.TLS.CAFile = ca
	if b := read(t, startSource(t, cfg, fixedNow(farFuture)), connectors.Cursor{}, 10); len(b.Records) != 1 {
		t.Fatalf("with the CA: %d records, want 1", len(b.Records))
	}

	before := len(api.seenRequests())
	cfg = apiConfig(srv.URL, ratingsStream("cursor", ""))
	_, err := startSource(t, cfg, fixedNow(farFuture)).Read(context.Background(), "danh_gia", connectors.Cursor{}, 10)
	var re *requestError
	if err == nil || !errorsAs(err, &re) || re.kind != kindTLS || re.attempts != 1 || !strings.Contains(err.Error(), "tls.ca_file") {
		t.Fatalf("without the CA: %v; want a TLS error after one attempt naming tls.ca_file", err)
	}
	if n := len(api.seenRequests()); n != before {
		t.Errorf("the API received %d requests without a trusted handshake", n-before)
	}

	cfg.TLS.InsecureSkipVerify = true
	var logs logBuffer
	src := startSource(t, cfg, connectors.Settings{Now: func() time.Time { return farFuture }, Logger: logs.logger()})
	if b := read(t, src, connectors.Cursor{}, 10); len(b.Records) != 1 {
		t.Errorf("insecure_skip_verify: %d records", len(b.Records))
	}
	if !strings.Contains(logs.String(), "level=WARN") || !strings.Contains(logs.String(), "TLS CERTIFICATE VERIFICATION IS OFF") {
		t.Errorf("no loud warning at start:\n%s", logs.String())
	}
}

func TestPlainHTTPWarns(t *testing.T) {
	api := &vendorAPI{mode: "cursor"}
	var logs logBuffer
	startSource(t, apiConfig(startAPI(t, api).URL, ratingsStream("cursor", "")), connectors.Settings{Logger: logs.logger()})
	if !strings.Contains(logs.String(), "level=WARN") || !strings.Contains(logs.String(), "plain http") {
		t.Errorf("no warning about plain http at start:\n%s", logs.String())
	}
}

// A response that is too large, not JSON, or not shaped as configured
// fails the read with a message naming what to fix.
func TestBadResponses(t *testing.T) {
	big := `{"data":{"items":[` + strings.Repeat(`{"id":1,"updated_at":"2024-03-01T08:00:00+07:00"},`, 100) + `{}]}}`
	tests := []struct {
		name        string
		contentType string
		body        string
		want        []string
	}{
		{"too large", "application/json", big, []string{"larger than max_body_size (1024 bytes)", "lower page_size"}},
		{"HTML", "text/html", "<html><body>Bảo trì hệ thống</body></html>", []string{"not valid JSON", `Content-Type "text/html"`, `"<html><body>Bảo trì hệ thống</body></html>"`}},
		{"cut off", "application/json", `{"data":{"items":[{"id":1`, []string{"not valid JSON", "unexpected EOF"}},
		{"items is an object", "application/json", `{"data":{"items":{"id":1}}}`, []string{"the field data.items is a JSON object, not an array", "streams.danh_gia.items"}},
		{"data is an array", "application/json", `{"data":[]}`, []string{"the field data is a JSON array, not an object"}},
		{"items twice", "application/json", `{"data":{"items":[],"items":[]}}`, []string{"gives the field data.items twice"}},
		{"trailing data", "application/json", `{"data":{"items":[]}} {}`, []string{"more data after the end"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			api := &vendorAPI{mode: "cursor", override: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", tc.contentType)
				_, _ = w.Write([]byte(tc.body))
			}}
			cfg := apiConfig(startAPI(t, api).URL, ratingsStream("cursor", ""))
			cfg.MaxBodySize = 1024
			_, err := startSource(t, cfg, fixedNow(farFuture)).Read(context.Background(), "danh_gia", connectors.Cursor{}, 10)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			if n := len(api.seenRequests()); n != 1 {
				t.Errorf("%d requests; a bad answer is not retried within the read", n)
			}
		})
	}
}

// An answer without the items field reads as an empty page, with one
// warning naming the fields the answer has.
func TestMissingItemsWarnsOnce(t *testing.T) {
	api := &vendorAPI{mode: "cursor", override: func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(`{"result":{"rows":[]},"total":0}`))
	}}
	var logs logBuffer
	src := startSource(t, apiConfig(startAPI(t, api).URL, ratingsStream("cursor", "")), connectors.Settings{Logger: logs.logger()})
	for i := 0; i < 2; i++ {
		if b := read(t, src, connectors.Cursor{}, 10); len(b.Records) != 0 || b.More {
			t.Fatalf("read %d: %d records More=%v", i, len(b.Records), b.More)
		}
	}
	if n := strings.Count(logs.String(), "has no items field"); n != 1 {
		t.Errorf("%d warnings, want 1:\n%s", n, logs.String())
	}
	if !strings.Contains(logs.String(), "result") || !strings.Contains(logs.String(), "total") {
		t.Errorf("the warning does not list the answer's fields:\n%s", logs.String())
	}
}

// Redirects within base_url's host are followed; elsewhere they are not,
// so the API key never travels to another server.
func TestRedirects(t *testing.T) {
	other := &vendorAPI{mode: "cursor"}
	otherSrv := startAPI(t, other)
	api := &vendorAPI{mode: "cursor", numeric: true}
	api.add(api.rating("1", at(8, 0, 0)))
	mux := http.NewServeMux()
	mux.HandleFunc("/old/ratings", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/api/v1/ratings?"+r.URL.RawQuery, http.StatusMovedPermanently)
	})
	mux.HandleFunc("/away/ratings", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, otherSrv.URL+"/api/v1/ratings", http.StatusFound)
	})
	mux.Handle("/", api)
	srv := startAPI(t, &vendorAPI{override: mux.ServeHTTP})

	sc := ratingsStream("cursor", "")
	sc.Path = "/old/ratings"
	cfg := apiConfig(srv.URL, sc)
	cfg.Headers = map[string]Secret{"X-Api-Key": "secret-key-1"}
	if b := read(t, startSource(t, cfg, fixedNow(farFuture)), connectors.Cursor{}, 10); len(b.Records) != 1 {
		t.Errorf("same-host redirect: %d records, want 1", len(b.Records))
	}

	sc.Path = "/away/ratings"
	cfg = apiConfig(srv.URL, sc)
	cfg.Headers = map[string]Secret{"X-Api-Key": "secret-key-1"}
	_, err := startSource(t, cfg, fixedNow(farFuture)).Read(context.Background(), "danh_gia", connectors.Cursor{}, 10)
	if err == nil || !strings.Contains(err.Error(), "HTTP 302") || !strings.Contains(err.Error(), "not followed") {
		t.Errorf("redirect to another host: %v; want HTTP 302 not followed", err)
	}
	if n := len(other.seenRequests()); n != 0 {
		t.Errorf("the other host received %d requests", n)
	}
}

func TestNextURLOnAnotherHostRefused(t *testing.T) {
	api := &vendorAPI{mode: "next_url", override: func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(`{"data":{"items":[]},"paging":{"next":"https://collector.example/steal?page=2"}}`))
	}}
	_, err := startSource(t, apiConfig(startAPI(t, api).URL, ratingsStream("next_url", "")), fixedNow(farFuture)).
		Read(context.Background(), "danh_gia", connectors.Cursor{}, 10)
	if err == nil || !strings.Contains(err.Error(), "https://collector.example, not base_url's host") {
		t.Errorf("next URL on another host: %v", err)
	}
	if n := len(api.seenRequests()); n != 1 {
		t.Errorf("%d requests, want 1", n)
	}
}

func TestNextTokenRepeatedRefused(t *testing.T) {
	api := &vendorAPI{override: func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(`{"data":{"items":[]},"paging":{"next":"same"}}`))
	}}
	_, err := startSource(t, apiConfig(startAPI(t, api).URL, ratingsStream("next_token", "")), fixedNow(farFuture)).
		Read(context.Background(), "danh_gia", connectors.Cursor{}, 10)
	if err == nil || !strings.Contains(err.Error(), "same next-page token twice") {
		t.Errorf("repeated token: %v", err)
	}
}

// Page walks that cannot finish within max_pages_per_read hand out
// nothing (a later page could hold an older item) and say what to do.
func TestPageWalkTooLong(t *testing.T) {
	api := &vendorAPI{mode: "page", numeric: true}
	for i := 1; i <= 7; i++ {
		api.add(api.rating(fmt.Sprint(i), at(8, 0, i)))
	}
	sc := ratingsStream("page", "")
	sc.PageSize, sc.MaxPagesPerRead = 2, 3
	_, err := startSource(t, apiConfig(startAPI(t, api).URL, sc), fixedNow(farFuture)).Read(context.Background(), "danh_gia", connectors.Cursor{}, 10)
	if err == nil || !strings.Contains(err.Error(), "max_pages_per_read=3") || !strings.Contains(err.Error(), "since_param") {
		t.Fatalf("7 items in pages of 2 with 3 pages per read: %v", err)
	}
	if n := len(api.seenRequests()); n != 3 {
		t.Errorf("%d requests, want 3", n)
	}
}

// A page API that ignores the page number answers every page alike: the
// walk stops at the repeat instead of reading max_pages_per_read copies.
func TestPageParamIgnored(t *testing.T) {
	api := &vendorAPI{mode: "page", numeric: true, ignorePage: true}
	api.add(api.rating("2", at(8, 0, 2)), api.rating("1", at(8, 0, 1)))
	sc := ratingsStream("page", "")
	sc.PageSize = 2
	var logs logBuffer
	src := startSource(t, apiConfig(startAPI(t, api).URL, sc), connectors.Settings{Now: func() time.Time { return farFuture }, Logger: logs.logger()})
	b := read(t, src, connectors.Cursor{}, 10)
	if got := keysOf(b.Records); !slices.Equal(got, []string{"1", "2"}) {
		t.Errorf("keys %v, want [1 2]", got)
	}
	if n := len(api.seenRequests()); n != 2 {
		t.Errorf("%d requests, want 2", n)
	}
	if !strings.Contains(logs.String(), "ignore the page parameter") {
		t.Errorf("no warning:\n%s", logs.String())
	}
}

// The page style asks page 1, 2 … with page_size and the since filter one
// second before the cursor.
func TestPageRequests(t *testing.T) {
	api := &vendorAPI{mode: "page", numeric: true}
	for i := 1; i <= 5; i++ {
		api.add(api.rating(fmt.Sprint(i), at(8, 0, i)))
	}
	sc := ratingsStream("page", "")
	sc.PageSize = 2
	src := startSource(t, apiConfig(startAPI(t, api).URL, sc), fixedNow(farFuture))
	b := read(t, src, connectors.Cursor{}, 3)
	if got := keysOf(b.Records); !slices.Equal(got, []string{"1", "2", "3"}) || !b.More {
		t.Fatalf("keys %v More=%v; want [1 2 3] and More", got, b.More)
	}
	reqs := api.seenRequests()
	var pages []string
	for _, r := range reqs {
		pages = append(pages, r.query.Get("page")+"/"+r.query.Get("page_size")+"/"+r.query.Get("since"))
	}
	if !slices.Equal(pages, []string{"1/2/", "2/2/", "3/2/"}) {
		t.Errorf("requests page/size/since = %v", pages)
	}
	b = read(t, src, b.Next, 3)
	if got := keysOf(b.Records); !slices.Equal(got, []string{"4", "5"}) || b.More {
		t.Errorf("second read: keys %v More=%v; want [4 5]", got, b.More)
	}
	if got := api.seenRequests()[3].query.Get("since"); got != "2024-03-01T08:00:02+07:00" {
		t.Errorf("since = %q, want one second before the cursor 08:00:03", got)
	}
}

// The cursor style refuses an API that ignores since/after (it would
// answer the same full page forever) or does not sort.
func TestCursorAPIMisbehaving(t *testing.T) {
	t.Run("ignores the cursor", func(t *testing.T) {
		api := &vendorAPI{mode: "cursor", numeric: true}
		api.add(api.rating("1", at(8, 0, 1)), api.rating("2", at(8, 0, 2)))
		api.override = func(w http.ResponseWriter, r *http.Request) {
			_, _ = w.Write([]byte(`{"data":{"items":[{"id":1,"updated_at":"2024-03-01T08:00:01+07:00"},{"id":2,"updated_at":"2024-03-01T08:00:02+07:00"}]}}`))
		}
		sc := ratingsStream("cursor", "")
		sc.PageSize = 2
		_, err := startSource(t, apiConfig(startAPI(t, api).URL, sc), fixedNow(farFuture)).Read(context.Background(), "danh_gia", connectors.Cursor{}, 10)
		if err == nil || !strings.Contains(err.Error(), "does not seem to filter by since/after_id") {
			t.Errorf("API ignoring the cursor: %v", err)
		}
	})
	t.Run("unsorted", func(t *testing.T) {
		api := &vendorAPI{mode: "cursor", numeric: true, unsorted: true}
		api.add(api.rating("2", at(8, 0, 2)), api.rating("1", at(8, 0, 1)))
		_, err := startSource(t, apiConfig(startAPI(t, api).URL, ratingsStream("cursor", "")), fixedNow(farFuture)).Read(context.Background(), "danh_gia", connectors.Cursor{}, 10)
		if err == nil || !strings.Contains(err.Error(), "not return items sorted") {
			t.Errorf("unsorted API: %v", err)
		}
	})
}

// POST sends the body template with the paging values in place.
func TestPostBody(t *testing.T) {
	api := &vendorAPI{mode: "cursor", numeric: true}
	api.add(api.rating("1", at(8, 0, 0)))
	sc := ratingsStream("cursor", "")
	sc.Method = "post"
	sc.Body = `{"filter": {"from": {{since}}, "after": {{after}}}, "limit": {{page_size}}}`
	src := startSource(t, apiConfig(startAPI(t, api).URL, sc), fixedNow(farFuture))
	b := read(t, src, connectors.Cursor{}, 10)
	read(t, src, b.Next, 10)
	reqs := api.seenRequests()
	wantBodies := []string{
		`{"filter": {"from": null, "after": null}, "limit": 100}`,
		`{"filter": {"from": "2024-03-01T08:00:00+07:00", "after": "1"}, "limit": 100}`,
	}
	for i, w := range wantBodies {
		if reqs[i].method != http.MethodPost || reqs[i].body != w || reqs[i].header.Get("Content-Type") != "application/json" {
			t.Errorf("request %d: %s %q (%s), want POST %q", i, reqs[i].method, reqs[i].body, reqs[i].header.Get("Content-Type"), w)
		}
	}
}

func TestLifecycle(t *testing.T) {
	api := &vendorAPI{mode: "cursor"}
	cfg := apiConfig(startAPI(t, api).URL, ratingsStream("cursor", ""))
	src := newSource(t, cfg, connectors.Settings{})
	ctx := context.Background()
	if _, err := src.Read(ctx, "danh_gia", connectors.Cursor{}, 10); err == nil || !strings.Contains(err.Error(), "before Start") {
		t.Errorf("Read before Start: %v", err)
	}
	if _, err := src.Read(ctx, "ho_so", connectors.Cursor{}, 10); err == nil || !strings.Contains(err.Error(), `unknown stream "ho_so" (configured: danh_gia)`) {
		t.Errorf("unknown stream: %v", err)
	}
	if err := src.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if err := src.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := src.Read(ctx, "danh_gia", connectors.Cursor{}, 10); err == nil || !strings.Contains(err.Error(), "shut down") {
		t.Errorf("Read after Shutdown: %v", err)
	}
	if err := src.Start(ctx); err == nil {
		t.Error("Start after Shutdown succeeded")
	}
	if n := len(api.seenRequests()); n != 0 {
		t.Errorf("%d requests; Start and Shutdown make none", n)
	}
}

// A connection that stalls while the body streams in is a network
// failure (the poll is retried later), not "not JSON".
func TestBodyTimeout(t *testing.T) {
	api := &vendorAPI{override: func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(`{"data":{"items":[`))
		w.(http.Flusher).Flush()
		<-r.Context().Done() // until the client gives up
	}}
	src := startSource(t, apiConfig(startAPI(t, api).URL, ratingsStream("cursor", "")), fixedNow(farFuture))
	src.http.Timeout = 200 * time.Millisecond
	_, err := src.Read(context.Background(), "danh_gia", connectors.Cursor{}, 10)
	var re *requestError
	if err == nil || !errorsAs(err, &re) || re.kind != kindNetwork || !strings.Contains(err.Error(), "reading the response failed") {
		t.Fatalf("stalled body: %v", err)
	}
}

// A full cursor page of items without a time cannot be passed: they are
// reported once, then each read stops there with a warning instead of
// failing or spinning; a larger page reads past them.
func TestCursorStalledByUnplaceableItems(t *testing.T) {
	api := &vendorAPI{mode: "cursor", numeric: true}
	api.add(vendorItem{at: at(8, 0, 1), key: "1", obj: map[string]any{"id": json.Number("1")}},
		vendorItem{at: at(8, 0, 2), key: "2", obj: map[string]any{"id": json.Number("2")}},
		api.rating("3", at(8, 0, 3)))
	sc := ratingsStream("cursor", "")
	sc.PageSize = 2
	var logs logBuffer
	cfg := apiConfig(startAPI(t, api).URL, sc)
	src := startSource(t, cfg, connectors.Settings{Now: func() time.Time { return farFuture }, Logger: logs.logger()})
	b := read(t, src, connectors.Cursor{}, 10)
	if got := keysOf(b.Records); !slices.Equal(got, []string{"1", "2"}) || b.More || !b.Next.IsZero() {
		t.Fatalf("first read: %v More=%v Next=%s; want the two quarantined items, no More, cursor unmoved", got, b.More, describeCursor(b.Next))
	}
	b = read(t, src, b.Next, 10)
	if len(b.Records) != 0 || b.More {
		t.Fatalf("second read: %v More=%v; want nothing (already reported)", keysOf(b.Records), b.More)
	}
	if !strings.Contains(logs.String(), "page_size is raised above their number") {
		t.Errorf("no warning about the stall:\n%s", logs.String())
	}

	sc.PageSize = 3
	cfg.Streams["danh_gia"] = sc
	b = read(t, startSource(t, cfg, fixedNow(farFuture)), connectors.Cursor{}, 10)
	if got := keysOf(b.Records); !slices.Equal(got, []string{"1", "2", "3"}) {
		t.Errorf("with page_size 3: %v, want [1 2 3]", got)
	}
}
