package main

import (
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hcmc-lgsp/lgsp-connector/internal/demo"
)

// doctorCheck is one check as the doctor printed it.
type doctorCheck struct {
	status, text, hint string
}

var checkLineRE = regexp.MustCompile(`^\[(OK|WARN|FAIL)\s*\] (.*)$`)

// parseDoctor reads the doctor's report: a line per check, then its hint
// ("→ …") and any continuation of a multi-line detail.
func parseDoctor(t *testing.T, out string) []doctorCheck {
	t.Helper()
	var checks []doctorCheck
	for _, line := range strings.Split(strings.TrimRight(out, "\n"), "\n") {
		if m := checkLineRE.FindStringSubmatch(line); m != nil {
			checks = append(checks, doctorCheck{status: m[1], text: m[2]})
			continue
		}
		if len(checks) == 0 {
			t.Fatalf("doctor output does not start with a check line:\n%s", out)
		}
		if h, ok := strings.CutPrefix(strings.TrimSpace(line), "→ "); ok {
			checks[len(checks)-1].hint = h
		}
	}
	return checks
}

// find returns the check named name.
func find(checks []doctorCheck, name string) (doctorCheck, bool) {
	for _, c := range checks {
		if strings.HasPrefix(c.text, name+": ") {
			return c, true
		}
	}
	return doctorCheck{}, false
}

// The doctor's checks of an SQLite installation of the demo configuration,
// in order.
var doctorNames = []string{
	"cấu hình / configuration",
	"CSDL nghiệp vụ / legacy database",
	"luồng / stream ho_so: truy vấn / query",
	"luồng / stream ho_so: danh sách con / child tai_lieu",
	"luồng / stream ho_so: chỉ mục con trỏ / cursor index",
	"luồng / stream ho_so: cột cập nhật NULL / NULL update times",
	"luồng / stream qua_trinh_xu_ly: truy vấn / query",
	"luồng / stream qua_trinh_xu_ly: chỉ mục con trỏ / cursor index",
	"luồng / stream qua_trinh_xu_ly: cột cập nhật NULL / NULL update times",
	"chữ ký số / signing key",
	"LGSP token",
	"đồng hồ / clock skew",
	"kho lưu / store",
}

const (
	checkSigning = "chữ ký số / signing key"
	checkToken   = "LGSP token"
	checkLegacy  = "CSDL nghiệp vụ / legacy database"
)

// TestDoctorHealthyInstallation: against a working installation every
// check passes (or warns) and the command succeeds.
func TestDoctorHealthyInstallation(t *testing.T) {
	r := newRig(t, rigOptions{dossiers: 20, badRows: 2, maxSteps: 2})
	cfg := writeConfig(t, r.dir, "lgsp.yaml", r.params(), "")
	res := mustExecute(t, "doctor", "--config", cfg)
	checks := parseDoctor(t, res.stdout)
	var names []string
	for _, c := range checks {
		if c.status != "OK" && c.status != "WARN" {
			t.Errorf("check %q is %s (hint %q)", c.text, c.status, c.hint)
		}
		for _, n := range doctorNames {
			if strings.HasPrefix(c.text, n+": ") {
				names = append(names, n)
			}
		}
	}
	if strings.Join(names, "\n") != strings.Join(doctorNames, "\n") || len(checks) != len(doctorNames) {
		t.Errorf("doctor ran checks:\n%s\nwant:\n%s", res.stdout, strings.Join(doctorNames, "\n"))
	}
	// The signing check says which algorithm and key type are in use.
	if !strings.Contains(res.stdout, "thuật toán / algorithm rsa-sha256, khóa / key RSA-2048") {
		t.Errorf("the signing check does not name the algorithm and key:\n%s", res.stdout)
	}
}

// TestDoctorReportsBrokenInstallations: each broken part of an
// installation gives a FAIL line with a hint, the other checks still run,
// and the command exits 1.
func TestDoctorReportsBrokenInstallations(t *testing.T) {
	r := newRig(t, rigOptions{dossiers: 20, badRows: 2, maxSteps: 2})
	expired := newKeyPair(t, r.dir, "expired", 365*24*time.Hour, time.Now().Add(-400*24*time.Hour))
	other := newKeyPair(t, r.dir, "other", 365*24*time.Hour, time.Now())
	tests := []struct {
		name string
		edit func(p *demo.ConfigParams)
		fail map[string]string // check name → text its hint contains
	}{
		{"wrong client secret", func(p *demo.ConfigParams) { p.ClientSecret = "not-the-secret" },
			map[string]string{checkToken: "client_secret"}},
		{"expired certificate", func(p *demo.ConfigParams) { p.CertFile, p.KeyFile = expired.certFile, expired.keyFile },
			map[string]string{checkSigning: "hết hạn"}},
		{"key of another certificate", func(p *demo.ConfigParams) { p.KeyFile = other.keyFile },
			map[string]string{checkSigning: "signing"}},
		{"legacy database missing", func(p *demo.ConfigParams) {
			p.LegacyDSN = "file:" + filepath.ToSlash(filepath.Join(r.dir, "no-such.db")) + "?mode=ro"
		}, map[string]string{checkLegacy: "source.dsn"}},
		{"everything at once", func(p *demo.ConfigParams) {
			p.ClientSecret = "not-the-secret"
			p.CertFile, p.KeyFile = expired.certFile, expired.keyFile
		}, map[string]string{checkToken: "client_secret", checkSigning: "hết hạn"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := r.params()
			tc.edit(&p)
			cfg := writeConfig(t, t.TempDir(), "lgsp.yaml", p, "")
			res := execute(t.Context(), "doctor", "--config", cfg)
			if res.code() != 1 {
				t.Fatalf("exit %d (%v), want 1\n%s%s", res.code(), res.err, res.stdout, res.stderr)
			}
			checks := parseDoctor(t, res.stdout)
			for _, c := range checks {
				name := ""
				for n := range tc.fail {
					if strings.HasPrefix(c.text, n+": ") {
						name = n
					}
				}
				switch {
				case name == "" && c.status == "FAIL":
					t.Errorf("unexpected FAIL: %s (hint %q)", c.text, c.hint)
				case name != "" && c.status != "FAIL":
					t.Errorf("%s is %s, want FAIL: %s", name, c.status, c.text)
				case name != "" && !strings.Contains(c.hint, tc.fail[name]):
					t.Errorf("%s: hint %q does not mention %q", name, c.hint, tc.fail[name])
				}
			}
			for n := range tc.fail {
				if _, ok := find(checks, n); !ok {
					t.Errorf("no %q check in:\n%s", n, res.stdout)
				}
			}
			// The checks after a failure still ran.
			if c, ok := find(checks, "kho lưu / store"); !ok || c.status != "OK" {
				t.Errorf("store check missing or not OK after other failures:\n%s", res.stdout)
			}
		})
	}
}

// TestDoctorStopsOnInvalidConfiguration: files the configuration names
// are checked before the doctor runs; a missing key file (together with
// a wrong secret, which only LGSP can judge) stops with exit 2 and the
// list of configuration problems, and no doctor report.
func TestDoctorStopsOnInvalidConfiguration(t *testing.T) {
	r := newRig(t, rigOptions{dossiers: 5, badRows: 1, maxSteps: 1})
	p := r.params()
	p.ClientSecret = "not-the-secret"
	p.KeyFile = filepath.Join(r.dir, "missing-key.pem")
	p.CertFile = filepath.Join(r.dir, "missing-cert.pem")
	cfg := writeConfig(t, r.dir, "lgsp.yaml", p, "")
	res := execute(t.Context(), "doctor", "--config", cfg)
	if res.code() != 2 {
		t.Fatalf("exit %d (%v), want 2\n%s%s", res.code(), res.err, res.stdout, res.stderr)
	}
	if res.stdout != "" {
		t.Errorf("the doctor ran on an invalid configuration:\n%s", res.stdout)
	}
	for _, want := range []string{cfg, "2 lỗi / 2 problem(s)", "signing.cert_file: ", "signing.key_file: ", "missing-key.pem", "file not found"} {
		if !strings.Contains(res.stderr, want) {
			t.Errorf("stderr does not mention %q:\n%s", want, res.stderr)
		}
	}
}
