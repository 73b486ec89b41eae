package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestDemoOnceJSON: `demo --once --json` ends with one JSON line whose
// figures add up: everything queued was delivered despite the sandbox's
// injected 5xx and 429, every bad row was quarantined, nothing failed, and
// every row read is accounted for exactly once. The survey's 60 answers
// come with, for 10 bad rows, one unknown officer, one unknown question
// and three kiosk re-sends: 65 rows, 60 ratings delivered.
func TestDemoOnceJSON(t *testing.T) {
	const dossiers, bad, ratings = 200, 10, 60
	r := mustExecute(t, "demo", "--once", "--json", "--dossiers", strconv.Itoa(dossiers), "--bad-rows", strconv.Itoa(bad),
		"--ratings", strconv.Itoa(ratings), "--dir", t.TempDir())

	lines := strings.Split(strings.TrimRight(r.stdout, "\n"), "\n")
	last := lines[len(lines)-1]
	var sum map[string]any
	dec := json.NewDecoder(strings.NewReader(last))
	dec.UseNumber()
	if err := dec.Decode(&sum); err != nil {
		t.Fatalf("last stdout line is not a JSON object: %v\n%s", err, last)
	}
	if dec.More() {
		t.Fatalf("last stdout line holds more than one JSON value: %s", last)
	}
	n := map[string]int64{}
	for _, k := range []string{"read", "queued", "delivered", "quarantined", "failed", "duplicates_dropped", "sample_steps"} {
		num, ok := sum[k].(json.Number)
		if !ok {
			t.Fatalf("summary key %q is %T (%v), want a number:\n%s", k, sum[k], sum[k], last)
		}
		v, err := num.Int64()
		if err != nil {
			t.Fatalf("summary key %q = %s: %v", k, num, err)
		}
		n[k] = v
	}
	if n["queued"] == 0 {
		t.Fatalf("nothing was queued: %s", last)
	}
	if n["delivered"] != n["queued"] {
		t.Errorf("delivered %d, queued %d: want equal", n["delivered"], n["queued"])
	}
	rt := numbers(t, sum, "ratings", "sample_rows", "sample_ratings", "sample_resends", "sample_unmappable", "read", "queued", "delivered",
		"quarantined", "duplicates_dropped", "sandbox_ratings")
	if rt["sample_rows"] != ratings+5 || rt["sample_ratings"] != ratings || rt["sample_resends"]+rt["sample_unmappable"] != 5 || rt["sample_unmappable"] < 2 ||
		rt["read"] != ratings+5 || rt["queued"] != ratings || rt["delivered"] != ratings || rt["sandbox_ratings"] != ratings ||
		rt["quarantined"] != rt["sample_unmappable"] || rt["duplicates_dropped"] != rt["sample_resends"] {
		t.Errorf("ratings %v: want %d rows read, %d delivered, the unmappable ones quarantined, the re-sends dropped", sum["ratings"], ratings+5, ratings)
	}
	byField := numbers(t, sum["ratings"].(map[string]any), "quarantined_by_field", "MaCanBo", "MaTieuChi")
	if byField["MaCanBo"] < 1 || byField["MaTieuChi"] < 1 || byField["MaCanBo"]+byField["MaTieuChi"] != rt["quarantined"] {
		t.Errorf("ratings quarantined by field %v: want MaCanBo and MaTieuChi, %d in all", byField, rt["quarantined"])
	}
	if n["quarantined"] != bad+rt["quarantined"] || n["duplicates_dropped"] != rt["duplicates_dropped"] {
		t.Errorf("quarantined %d, duplicates %d: want the %d bad rows and the ratings' %d quarantined, %d dropped",
			n["quarantined"], n["duplicates_dropped"], bad, rt["quarantined"], rt["duplicates_dropped"])
	}
	if n["failed"] != 0 {
		t.Errorf("failed %d, want 0", n["failed"])
	}
	if got := n["queued"] + n["quarantined"] + n["duplicates_dropped"]; n["read"] != got {
		t.Errorf("read %d != queued %d + quarantined %d + duplicates %d", n["read"], n["queued"], n["quarantined"], n["duplicates_dropped"])
	}
	// One packet per good dossier, per processing step and per rating.
	if want := dossiers + n["sample_steps"] + ratings; n["queued"] != want {
		t.Errorf("queued %d, want %d dossiers + %d steps + %d ratings", n["queued"], dossiers, n["sample_steps"], ratings)
	}
	sb, _ := sum["sandbox"].(map[string]any)
	if sb == nil || sb["unique"] != json.Number(strconv.FormatInt(n["delivered"], 10)) {
		t.Errorf("sandbox stats %v: want unique = delivered %d", sum["sandbox"], n["delivered"])
	}

	// The national portal connector, over the same one-stop rows (the
	// survey is the city connector's alone).
	portal := numbers(t, sum, "portal", "read", "queued", "delivered", "quarantined", "failed", "held_for_quarantined_dossiers",
		"portal_dossiers", "portal_steps", "sessions_expired", "session_rejected")
	if read, queued := n["read"]-rt["read"], n["queued"]-rt["queued"]; portal["read"] != read || portal["queued"] != queued || portal["quarantined"] != bad || portal["failed"] != 0 {
		t.Errorf("portal totals %v: want the city connector's read %d and queued %d of the one-stop database, %d quarantined, none failed", portal, read, queued, bad)
	}
	if portal["delivered"]+portal["held_for_quarantined_dossiers"] != portal["queued"] || portal["held_for_quarantined_dossiers"] < bad {
		t.Errorf("portal delivered %d + held %d != queued %d, or fewer held than the %d quarantined dossiers", portal["delivered"], portal["held_for_quarantined_dossiers"], portal["queued"], bad)
	}
	if portal["portal_dossiers"] != dossiers || portal["portal_steps"]+portal["held_for_quarantined_dossiers"] != n["sample_steps"] {
		t.Errorf("the portal holds %d dossiers and %d steps: want %d and %d minus the held ones", portal["portal_dossiers"], portal["portal_steps"], dossiers, n["sample_steps"])
	}
	if portal["sessions_expired"] == 0 || portal["session_rejected"] == 0 {
		t.Errorf("portal sessions %v: want expired sessions renewed", portal)
	}
	calls := numbers(t, sum, "dvcqg", "login", "TraCuuHoSo", "DongBoHoSoMC", "CapNhatTienDoHoSoMC", "DongBoThongKeHoSo", "DongBoDanhGia", "LayThuTuc")
	if calls["login"] < 2 || calls["DongBoHoSoMC"] < dossiers || calls["CapNhatTienDoHoSoMC"] < portal["portal_steps"] || calls["DongBoThongKeHoSo"] < 1 || calls["DongBoDanhGia"] < 1 {
		t.Errorf("portal calls %v: want a re-login, a DongBoHoSoMC per dossier, a CapNhatTienDoHoSoMC per step, DongBoThongKeHoSo, DongBoDanhGia", calls)
	}
	if mr := numbers(t, sum, "monthly_ratings", "read", "counted"); mr["counted"] == 0 || mr["read"] < mr["counted"] {
		t.Errorf("monthly ratings %v: want the month's overall answers counted", sum["monthly_ratings"])
	}
	st := numbers(t, sum, "statistics", "SoNhanTrongKy", "SoTonKyTruoc", "TongSoXuLy", "TongDaXuLy", "TongXuLyDungHan", "TongXuLyTreHan",
		"TongChuaXuLy", "TongChuaXuLyTrongHan", "TongChuaXuLyTreHan")
	if st["SoNhanTrongKy"] == 0 || st["TongSoXuLy"] != st["SoNhanTrongKy"]+st["SoTonKyTruoc"] || st["TongSoXuLy"] != st["TongDaXuLy"]+st["TongChuaXuLy"] ||
		st["TongDaXuLy"] != st["TongXuLyDungHan"]+st["TongXuLyTreHan"] || st["TongChuaXuLy"] != st["TongChuaXuLyTrongHan"]+st["TongChuaXuLyTreHan"] {
		t.Errorf("statistics figures do not add up: %v", sum["statistics"])
	}
	figures, _ := sum["statistics"].(map[string]any)
	for _, k := range []string{"PhanTramXuLyDungHan", "PhanTramXuLyTreHan", "PhanTramChuaXuLyTrongHan", "PhanTramChuaXuLyTreHan"} {
		if _, ok := figures[k].(json.Number); !ok {
			t.Errorf("statistics.%s is %T (%v), want a number", k, figures[k], figures[k])
		}
	}
	if figures["sent"] != true || !regexp.MustCompile(`^2026-(09|10)$`).MatchString(fmt.Sprint(figures["period"])) {
		t.Errorf("statistics period %v sent %v: want one of the sample's months, sent", figures["period"], figures["sent"])
	}
	cat := numbers(t, sum, "catalogs", "units", "officials", "procedures", "rating_criteria", "LayDanhMucCoQuan", "LayDanhMucLinhVuc", "LayDanhSachTTHC", "LayThuTuc")
	for k, v := range cat {
		if v == 0 {
			t.Errorf("catalog %s has no rows", k)
		}
	}
	in := numbers(t, sum, "inbound", "lookups", "downloads", "download_bytes")
	if in["lookups"] != 1 || in["downloads"] != 1 || in["download_bytes"] == 0 {
		t.Errorf("inbound %v: want one lookup and one download", sum["inbound"])
	}
}

// numbers reads the integer keys of the object sum[key].
func numbers(t *testing.T, sum map[string]any, key string, keys ...string) map[string]int64 {
	t.Helper()
	obj, ok := sum[key].(map[string]any)
	if !ok {
		t.Fatalf("summary key %q is %T, want an object", key, sum[key])
	}
	out := map[string]int64{}
	for _, k := range keys {
		num, ok := obj[k].(json.Number)
		if !ok {
			t.Fatalf("summary %s.%s is %T (%v), want a number", key, k, obj[k], obj[k])
		}
		v, err := num.Int64()
		if err != nil {
			t.Fatalf("summary %s.%s = %s: %v", key, k, num, err)
		}
		out[k] = v
	}
	return out
}

var (
	maHoSoRE     = regexp.MustCompile(`<MaHoSo>[^<]*[0-9]</MaHoSo>`)
	loaiGoiTinRE = regexp.MustCompile(`<LoaiGoiTin>([^<]+)</LoaiGoiTin>`)
	deliveredRE  = regexp.MustCompile(`delivered\s+(\d+)`)
	exportedRE   = regexp.MustCompile(`exported\s+(\d+)`)
)

// TestDemoExportVerifiesWithXmlsec1: `demo --once --export-dir DIR`
// writes the certificate and exactly one file per delivered packet, and
// an independent implementation (xmlsec1) accepts every signature, of all
// three packet kinds (ratings from the survey source included), and
// rejects a packet with one byte of its text changed.
func TestDemoExportVerifiesWithXmlsec1(t *testing.T) {
	xmlsec1, err := exec.LookPath("xmlsec1")
	if err != nil {
		t.Fatalf("xmlsec1 is required (apt-get install xmlsec1, or ./scripts/services.sh): %v", err)
	}
	out, work := t.TempDir(), t.TempDir()
	r := mustExecute(t, "demo", "--once", "--export-dir", out, "--dir", work, "--dossiers", "150", "--bad-rows", "5", "--ratings", "40")

	m := deliveredRE.FindStringSubmatch(r.stdout)
	if m == nil {
		t.Fatalf("no delivered count in the summary:\n%s", r.stdout)
	}
	delivered, _ := strconv.Atoi(m[1])
	if m := exportedRE.FindStringSubmatch(r.stdout); m == nil || m[1] != strconv.Itoa(delivered) {
		t.Errorf("summary says exported %v, want %d:\n%s", m, delivered, r.stdout)
	}
	// The delivery log agrees on the number delivered.
	logOut := mustExecute(t, "log", "--store", filepath.Join(work, "outbox.db"), "--status", "delivered", "--limit", "0", "--json")
	var entries []struct{ ID, State string }
	if err := json.Unmarshal([]byte(logOut.stdout), &entries); err != nil {
		t.Fatalf("log --json: %v\n%s", err, logOut.stdout)
	}
	if len(entries) != delivered {
		t.Fatalf("delivery log has %d delivered packets, summary says %d", len(entries), delivered)
	}

	certFile := filepath.Join(out, "signing-cert.pem")
	if _, err := os.Stat(certFile); err != nil {
		t.Fatalf("certificate not exported: %v", err)
	}
	files, err := filepath.Glob(filepath.Join(out, "*.xml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != delivered {
		t.Fatalf("%d packet files exported, want %d (one per delivered packet)", len(files), delivered)
	}
	kinds := map[string]int{}
	for _, e := range entries {
		f := filepath.Join(out, e.ID+".xml")
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatalf("delivered packet %s not exported: %v", e.ID, err)
		}
		if k := loaiGoiTinRE.FindSubmatch(b); k != nil {
			kinds[string(k[1])]++
		}
	}
	if kinds["HoSo"] != 150 || kinds["DanhGia"] != 40 || kinds["TienDoXuLy"] == 0 || kinds["HoSo"]+kinds["DanhGia"]+kinds["TienDoXuLy"] != delivered {
		t.Fatalf("exported packet kinds %v: want 150 HoSo, 40 DanhGia and the rest TienDoXuLy", kinds)
	}
	// The text summary has the ratings' own lines.
	if m := regexp.MustCompile(`satisfaction ratings[^\n]*\n\s+đã đọc / read\s+(\d+)[^\n]*\n\s+đã gửi thành công / delivered\s+40\s+\(sandbox giữ / the sandbox holds 40\)`).FindStringSubmatch(r.stdout); m == nil || m[1] != "44" {
		t.Errorf("summary lacks the ratings' 44 rows read and 40 delivered (40 answers; with bad rows 1 unknown officer, 1 unknown question, 2 re-sends):\n%s", r.stdout)
	}

	// Every file in one xmlsec1 run (it stops at the first failure).
	args := append([]string{"--verify", "--enabled-reference-uris", "empty", "--trusted-pem", certFile}, files...)
	res, err := exec.Command(xmlsec1, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("xmlsec1 rejected an exported packet: %v\n%s", err, tail(res, 2000))
	}
	if ok := countLines(res, "OK"); ok != len(files) {
		t.Fatalf("xmlsec1 reported %d OK for %d files:\n%s", ok, len(files), tail(res, 2000))
	}

	// One byte of the text changed: xmlsec1 must refuse it. The victim is
	// the first packet with a dossier code (a rating may have none).
	var (
		b   []byte
		loc []int
	)
	for _, f := range files {
		if b, err = os.ReadFile(f); err != nil {
			t.Fatal(err)
		}
		if loc = maHoSoRE.FindIndex(b); loc != nil {
			break
		}
	}
	if loc == nil {
		t.Fatal("no exported packet has a MaHoSo ending in a digit")
	}
	i := loc[1] - len("</MaHoSo>") - 1
	b[i] = '0' + (b[i]-'0'+1)%10
	tampered := filepath.Join(t.TempDir(), "tampered.xml")
	writeFile(t, tampered, b)
	if res, err := exec.Command(xmlsec1, "--verify", "--enabled-reference-uris", "empty", "--trusted-pem", certFile, tampered).CombinedOutput(); err == nil {
		t.Fatalf("xmlsec1 accepted a packet with a changed MaHoSo:\n%s", res)
	}
}

// countLines counts the lines of b that are exactly line.
func countLines(b []byte, line string) int {
	n := 0
	for _, l := range bytes.Split(b, []byte("\n")) {
		if string(bytes.TrimSpace(l)) == line {
			n++
		}
	}
	return n
}

func tail(b []byte, n int) []byte {
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}
