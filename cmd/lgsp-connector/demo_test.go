package main

import (
	"bytes"
	"encoding/json"
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
// every row read is accounted for exactly once.
func TestDemoOnceJSON(t *testing.T) {
	const dossiers, bad = 200, 10
	r := mustExecute(t, "demo", "--once", "--json", "--dossiers", strconv.Itoa(dossiers), "--bad-rows", strconv.Itoa(bad), "--dir", t.TempDir())

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
	if n["quarantined"] != bad {
		t.Errorf("quarantined %d, want the %d bad rows", n["quarantined"], bad)
	}
	if n["failed"] != 0 {
		t.Errorf("failed %d, want 0", n["failed"])
	}
	if got := n["queued"] + n["quarantined"] + n["duplicates_dropped"]; n["read"] != got {
		t.Errorf("read %d != queued %d + quarantined %d + duplicates %d", n["read"], n["queued"], n["quarantined"], n["duplicates_dropped"])
	}
	// One packet per good dossier and per processing step.
	if want := dossiers + n["sample_steps"]; n["queued"] != want {
		t.Errorf("queued %d, want %d dossiers + %d steps", n["queued"], dossiers, n["sample_steps"])
	}
	sb, _ := sum["sandbox"].(map[string]any)
	if sb == nil || sb["unique"] != json.Number(strconv.FormatInt(n["delivered"], 10)) {
		t.Errorf("sandbox stats %v: want unique = delivered %d", sum["sandbox"], n["delivered"])
	}
}

var (
	maHoSoRE     = regexp.MustCompile(`<MaHoSo>[^<]*[0-9]</MaHoSo>`)
	loaiGoiTinRE = regexp.MustCompile(`<LoaiGoiTin>([^<]+)</LoaiGoiTin>`)
	deliveredRE  = regexp.MustCompile(`delivered\s+(\d+)`)
	exportedRE   = regexp.MustCompile(`exported\s+(\d+)`)
)

// TestDemoExportVerifiesWithXmlsec1: `demo --once --export-dir DIR`
// writes the certificate and exactly one file per delivered packet, and
// an independent implementation (xmlsec1) accepts every signature, of both
// packet kinds, and rejects a packet with one byte of its text changed.
func TestDemoExportVerifiesWithXmlsec1(t *testing.T) {
	xmlsec1, err := exec.LookPath("xmlsec1")
	if err != nil {
		t.Fatalf("xmlsec1 is required (apt-get install xmlsec1, or ./scripts/services.sh): %v", err)
	}
	out, work := t.TempDir(), t.TempDir()
	r := mustExecute(t, "demo", "--once", "--export-dir", out, "--dir", work, "--dossiers", "150", "--bad-rows", "5")

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
	if kinds["HoSo"] != 150 || kinds["TienDoXuLy"] == 0 || kinds["HoSo"]+kinds["TienDoXuLy"] != delivered {
		t.Fatalf("exported packet kinds %v: want 150 HoSo and the rest TienDoXuLy", kinds)
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

	// One byte of the text changed: xmlsec1 must refuse it.
	victim := files[0]
	b, err := os.ReadFile(victim)
	if err != nil {
		t.Fatal(err)
	}
	loc := maHoSoRE.FindIndex(b)
	if loc == nil {
		t.Fatalf("no MaHoSo ending in a digit in %s", victim)
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
