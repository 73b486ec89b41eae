package app_test

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	_ "github.com/hcmc-lgsp/lgsp-connector/connectors/restjson" // registers rest_json
	"github.com/hcmc-lgsp/lgsp-connector/internal/app"
	"github.com/hcmc-lgsp/lgsp-connector/internal/config"
	"github.com/hcmc-lgsp/lgsp-connector/internal/outbox"
	"github.com/hcmc-lgsp/lgsp-connector/internal/sandbox"
	"github.com/hcmc-lgsp/lgsp-connector/packets"
	"github.com/hcmc-lgsp/lgsp-connector/signing"
)

// kioskItem is one answer as a kiosk vendor's API returns it: numbers as
// JSON numbers, times with their offset, the officer nested.
type kioskItem struct {
	ID        int64  `json:"id"`
	MaPhieu   string `json:"ma_phieu"`
	MaHoSo    string `json:"ma_ho_so,omitempty"`
	MucDo     int    `json:"muc_do"`
	LyDo      string `json:"ly_do,omitempty"`
	Kenh      string `json:"kenh"`
	ThoiDiem  string `json:"thoi_diem"`
	UpdatedAt string `json:"updated_at"`
	NguoiDG   struct {
		MaCanBo string `json:"ma_can_bo"`
	} `json:"nguoi_duoc_danh_gia"`
}

// kioskAPI serves items after (since, after_id), sorted by (updated_at,
// id), page_size at a time, to callers with the right API key.
func kioskAPI(t *testing.T, items []kioskItem) *httptest.Server {
	t.Helper()
	sort.Slice(items, func(i, j int) bool {
		if items[i].UpdatedAt != items[j].UpdatedAt {
			return items[i].UpdatedAt < items[j].UpdatedAt
		}
		return items[i].ID < items[j].ID
	})
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Api-Key") != "kiosk-key" {
			http.Error(w, "no key", http.StatusUnauthorized)
			return
		}
		q := r.URL.Query()
		size, _ := strconv.Atoi(q.Get("page_size"))
		after, _ := strconv.ParseInt(q.Get("after_id"), 10, 64)
		since := q.Get("since")
		var page []kioskItem
		for _, it := range items {
			if since != "" {
				s, err := time.Parse(time.RFC3339, since)
				if err != nil {
					http.Error(w, "bad since", http.StatusBadRequest)
					return
				}
				u, _ := time.Parse(time.RFC3339, it.UpdatedAt)
				if u.Before(s) || (u.Equal(s) && it.ID <= after) {
					continue
				}
			}
			if len(page) == size {
				break
			}
			page = append(page, it)
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"data": map[string]any{"items": page}})
	}))
	t.Cleanup(srv.Close)
	return srv
}

// TestRatingsFromVendorAPI: a kiosk vendor's HTTP API (rest_json, over
// TLS with the vendor's CA, an API key, cursor paging) feeds the danh_gia
// stream; answers become signed DanhGia packets, the kiosk's re-sends are
// dropped by identity, an officer the code table lacks is quarantined.
func TestRatingsFromVendorAPI(t *testing.T) {
	ctx := context.Background()
	base := time.Date(2026, 10, 5, 8, 0, 0, 0, packets.VietnamZone)
	var items []kioskItem
	add := func(id int64, phieu, officer string, level int, reason string, at time.Time) {
		it := kioskItem{ID: id, MaPhieu: phieu, MucDo: level, LyDo: reason, Kenh: "KIOSK",
			ThoiDiem: at.Format(time.RFC3339), UpdatedAt: at.Add(time.Minute).Format(time.RFC3339)}
		it.NguoiDG.MaCanBo = officer
		items = append(items, it)
	}
	// 25 answers (every fifth dissatisfied, with a reason), two re-sent
	// by the kiosk (new id, same form, later), one by an unknown officer.
	for i := 1; i <= 25; i++ {
		level, reason := 1+i%3, ""
		if i%5 == 0 {
			level, reason = 4, "Chờ quá lâu"
		}
		add(int64(i), fmt.Sprintf("KS-%04d", i), []string{"NV01", "NV02"}[i%2], level, reason, base.Add(time.Duration(i)*time.Hour))
	}
	add(26, "KS-0003", "NV02", 1, "", base.Add(3*time.Hour))
	add(27, "KS-0007", "NV02", 2, "", base.Add(7*time.Hour))
	add(28, "KS-0028", "NV99", 1, "", base.Add(28*time.Hour))
	api := kioskAPI(t, items)

	dir := t.TempDir()
	caFile := filepath.Join(dir, "kiosk-ca.pem")
	if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: api.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	certFile, keyFile, cert := writeSigningPair(t, dir, "ratings api unit")
	verifier, err := signing.NewVerifier([]*x509.Certificate{cert})
	if err != nil {
		t.Fatal(err)
	}
	sb, err := sandbox.New(sandbox.Options{ClientID: "unit", ClientSecret: "api-secret", Verify: verifier.VerifyBytes, Seed: 5})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	lgspSrv := &http.Server{Handler: sb.Handler(), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = lgspSrv.Serve(ln) }()
	t.Cleanup(func() { _ = lgspSrv.Close() })

	yaml := fmt.Sprintf(`
unit: {code: "000.00.12.H29", name: "UBND phường Sài Gòn"}
sources:
  kiosk:
    type: rest_json
    base_url: %q
    headers: {X-Api-Key: kiosk-key}
    tls: {ca_file: %q}
    timezone: Asia/Ho_Chi_Minh
    streams:
      danh_gia:
        path: /api/v1/ratings
        items: data.items
        key: id
        key_type: int
        updated: updated_at
        paging: {type: cursor, since_param: since, after_param: after_id, size_param: page_size}
        page_size: 10
        lag: 0s
        fields:
          id: id
          ma_phieu: ma_phieu
          muc_do: muc_do
          ly_do: ly_do
          kenh: kenh
          thoi_diem: thoi_diem
          updated_at: updated_at
          nguoi_duoc_danh_gia.ma_can_bo: ma_can_bo
mapping:
  timezone: Asia/Ho_Chi_Minh
  code_tables:
    can_bo: {NV01: CB001, NV02: CB002}
    kenh: {KIOSK: "1", MOBILE: "2"}
  streams:
    danh_gia:
      packet: DanhGia
      identity: [MaPhieu]
      fields:
        MaPhieu: {column: ma_phieu, required: true}
        MaDonVi: {const: "000.00.12.H29"}
        MaCanBo: {column: ma_can_bo, code_table: can_bo, required: true}
        MucDoHaiLong: muc_do
        LyDo: ly_do
        KenhDanhGia: {column: kenh, code_table: kenh, required: true}
        ThoiDiemDanhGia: {column: thoi_diem, format: ["2006-01-02T15:04:05Z07:00"], required: true}
lgsp:
  base_url: "http://%s"
  client_id: unit
  client_secret: api-secret
  receiver: "000.00.00.H29"
  quick_retries: 0
signing: {cert_file: %q, key_file: %q}
store: {path: %q}
delivery: {workers: 4, backoff_base: 50ms, backoff_max: 500ms}
`, api.URL, caFile, ln.Addr().String(), certFile, keyFile, filepath.Join(dir, "outbox.db"))
	cfg, err := config.LoadBytes([]byte(yaml), dir, config.LoadOptions{IgnoreEnv: true})
	if err != nil {
		t.Fatal(err)
	}
	a, err := app.Build(ctx, cfg, app.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close(context.Background())
	dctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if err := a.Pipeline.Drain(dctx, 20*time.Millisecond); err != nil {
		t.Fatal(err)
	}

	tot := a.Pipeline.Totals()
	if tot.Read != 28 || tot.Delivered != 25 || tot.DuplicatesDropped != 2 || tot.Quarantined != 1 || tot.Failed != 0 {
		t.Errorf("totals %+v: want 28 read, 25 delivered, 2 re-sends dropped, 1 quarantined", tot)
	}
	st := sb.Stats()
	if st.ByKind["DanhGia"] != 25 || st.Unique != 25 || st.InvalidSignature != 0 || st.Rejected != 0 {
		t.Errorf("sandbox %+v: want 25 DanhGia, each once, all signatures valid", st)
	}
	prof, err := packets.ProfileByName(packets.ProfileHCMLGSP)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, p := range sb.Accepted() {
		pkt, err := prof.Decode(p.Body)
		if err != nil || pkt.Rating == nil {
			t.Fatalf("packet %s: %v", p.MessageID, err)
		}
		r := pkt.Rating
		seen[r.MaPhieu] = true
		n, _ := strconv.Atoi(r.MaPhieu[3:])
		wantLevel, wantOfficer := strconv.Itoa(1+n%3), []string{"CB001", "CB002"}[n%2]
		if n%5 == 0 {
			wantLevel = "4"
		}
		if r.MucDoHaiLong != wantLevel || r.MaCanBo != wantOfficer || r.KenhDanhGia != "1" ||
			!r.ThoiDiemDanhGia.Equal(base.Add(time.Duration(n)*time.Hour)) || (n%5 == 0) != (r.LyDo != "") {
			t.Errorf("form %s arrived as %+v: want level %s, officer %s, kiosk channel, time %s", r.MaPhieu, r, wantLevel, wantOfficer, base.Add(time.Duration(n)*time.Hour))
		}
	}
	if len(seen) != 25 || seen["KS-0028"] {
		t.Errorf("forms received %d (KS-0028 %v): want KS-0001 … KS-0025", len(seen), seen["KS-0028"])
	}
	q, err := a.Store.Quarantine(ctx, outbox.Filter{Stream: "danh_gia"})
	if err != nil {
		t.Fatal(err)
	}
	if len(q) != 1 || q[0].RecordKey != "28" || q[0].Field != "MaCanBo" || !strings.Contains(q[0].Value, "NV99") {
		t.Errorf("quarantine %+v: want item 28 for MaCanBo NV99", q)
	}
}
