package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hcmc-lgsp/lgsp-connector/internal/demo"
	"github.com/hcmc-lgsp/lgsp-connector/internal/sampledata"
)

// statsConfig writes a sample SQLite database (400 dossiers received in
// September and October 2026) and the demo configuration on it, with the
// statistics columns added to the ho_so stream; it returns the file.
func statsConfig(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	legacy := filepath.Join(dir, "legacy.db")
	db, err := sql.Open("sqlite", "file:"+filepath.ToSlash(legacy))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := sampledata.CreateSchema(ctx, db, sampledata.SQLite); err != nil {
		t.Fatal(err)
	}
	if _, err := sampledata.Generate(ctx, db, sampledata.SQLite, sampledata.Options{Seed: 2, Dossiers: 400, BadRows: 10, MaxStepsPerDossier: 3}); err != nil {
		t.Fatal(err)
	}
	kp := newKeyPair(t, dir, "signing", 24*time.Hour, time.Now())
	yaml, err := demo.RenderConfig(demo.ConfigParams{
		Driver: "sqlite", LegacyDSN: "file:" + filepath.ToSlash(legacy) + "?mode=ro", LGSPURL: "http://127.0.0.1:1",
		ClientSecret: "x", CertFile: kp.certFile, KeyFile: kp.keyFile, StorePath: filepath.Join(dir, "outbox.db"),
	})
	if err != nil {
		t.Fatal(err)
	}
	const cursor = "      cursor: {updated: ngay_cap_nhat, key: id, key_type: int}\n"
	s := strings.Replace(string(yaml), cursor, cursor+"      statistics: {received: ngay_nhan, finished: ngay_ket_thuc}\n", 1)
	path := filepath.Join(dir, "lgsp.yaml")
	writeFile(t, path, []byte(s))
	return path
}

func TestStatsTable(t *testing.T) {
	path := statsConfig(t)
	r := mustExecute(t, "stats", "--config", path, "--month", "2026-09", "--explain")
	for _, want := range []string{
		"kỳ / period 2026-09", "000.00.12.H29 UBND phường Sài Gòn", "Từ / From 2026-09-01 00:00 đến trước / to before 2026-10-01 00:00 (Asia/Ho_Chi_Minh)",
		"SoNhanTrongKy", "Số hồ sơ nhận trong kỳ", "received in the period", "PhanTramChuaXuLyTreHan",
		"Kế hoạch truy vấn / query plan", "SEARCH", "Thời gian tính / computed in",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("stats output lacks %q:\n%s", want, r.stdout)
		}
	}
	if strings.Contains(r.stdout, "provisional") || strings.Contains(r.stdout, "WARNING") {
		t.Errorf("a past month with indexes is neither provisional nor a full scan:\n%s", r.stdout)
	}
}

// statsOutput is the part of --format json the tests read.
type statsOutput struct {
	Period      string         `json:"period"`
	Item        map[string]any `json:"item"`
	ItemError   string         `json:"item_error"`
	Provisional bool           `json:"provisional"`
	Read        int            `json:"read"`
	NotCounted  map[string]int `json:"not_counted"`
	Basis       string         `json:"deadline_basis"`
}

func statsJSONOf(t *testing.T, r result) statsOutput {
	t.Helper()
	var out statsOutput
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		t.Fatalf("stats --format json printed no JSON: %v\n%s", err, r.stdout)
	}
	return out
}

func TestStatsJSON(t *testing.T) {
	path := statsConfig(t)
	out := statsJSONOf(t, mustExecute(t, "stats", "--config", path, "--month", "2026-09", "--format", "json"))
	if out.Period != "2026-09" || out.ItemError != "" || out.Provisional || out.Read == 0 || out.Basis != "calendar" {
		t.Fatalf("json: %+v", out)
	}
	n := map[string]int{}
	for k, v := range out.Item {
		s, ok := v.(string)
		if !ok {
			t.Fatalf("item %s is %T; every value must be a string", k, v)
		}
		if i, err := strconv.Atoi(s); err == nil {
			n[k] = i
		}
	}
	if out.Item["Thang"] != "9" || out.Item["Nam"] != "2026" || out.Item["LoaiThongKe"] != "1" || out.Item["Madonvi"] != "000.00.12.H29" {
		t.Errorf("item identity: %v", out.Item)
	}
	if n["SoNhanTrongKy"] == 0 || n["TongSoXuLy"] != n["SoNhanTrongKy"]+n["SoTonKyTruoc"] || n["TongSoXuLy"] != n["TongDaXuLy"]+n["TongChuaXuLy"] {
		t.Errorf("item figures do not add up: %v", out.Item)
	}
	// The sample data's refused (TU_CHOI) dossiers are never received.
	if out.NotCounted["not_received"] == 0 {
		t.Errorf("not counted %v: want the refused dossiers there", out.NotCounted)
	}

	wd := statsJSONOf(t, mustExecute(t, "stats", "--config", path, "--month", "2026-09", "--format", "json",
		"--deadline-basis", "working_days", "--holiday", "2026-09-01,2026-09-02"))
	if wd.Basis != "working_days" {
		t.Errorf("--deadline-basis working_days: basis %q", wd.Basis)
	}
}

// Sending is not wired yet: --send prints the table first, then fails
// saying so; it never pretends to have sent.
func TestStatsSendNotConfigured(t *testing.T) {
	path := statsConfig(t)
	r := execute(context.Background(), "stats", "--config", path, "--month", "2026-09", "--send")
	if r.code() != 1 || r.err == nil || !strings.Contains(r.err.Error(), "not configured") {
		t.Fatalf("stats --send: exit %d, %v; want exit 1 saying sending is not configured", r.code(), r.err)
	}
	if !strings.Contains(r.stdout, "SoNhanTrongKy") {
		t.Errorf("stats --send printed no table before failing:\n%s", r.stdout)
	}
	if strings.Contains(r.stderr, "đã gửi") || strings.Contains(r.stderr, "sent ") {
		t.Errorf("stats --send claims to have sent:\n%s", r.stderr)
	}

	// A month that has not ended is provisional and is never sent.
	r = execute(context.Background(), "stats", "--config", path, "--month", "2099-01", "--send")
	if r.err == nil || !strings.Contains(r.err.Error(), "has not ended") || !strings.Contains(r.stdout, "provisional") {
		t.Errorf("stats --send for a month not over: %v\n%s", r.err, r.stdout)
	}
}

func TestStatsBadFlags(t *testing.T) {
	path := statsConfig(t)
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--month", "2026-13"}, "the month must be 01 to 12"},
		{[]string{"--month", "2026-Q3"}, "want a month written YYYY-MM"},
		{[]string{"--month", "2026-09", "--format", "xml"}, "use table or json"},
		{[]string{"--month", "2026-09", "--holiday", "02/09/2026"}, "statistics.holidays[0]"},
		{[]string{"--month", "2026-09", "--compare", "hour"}, "statistics.compare"},
		{[]string{"--month", "2026-09", "--stream", "khong_co"}, "statistics.stream \"khong_co\""},
	}
	for _, tc := range tests {
		args := append([]string{"stats", "--config", path}, tc.args...)
		r := execute(context.Background(), args...)
		if r.err == nil || !strings.Contains(r.err.Error(), tc.want) {
			t.Errorf("lgsp-connector %s: %v, want an error mentioning %q", strings.Join(args, " "), r.err, tc.want)
		}
	}
}
