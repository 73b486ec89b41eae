package inbound

import (
	"strings"
	"testing"
	"time"
)

// A token either fails to parse or is exactly the token the linker
// writes for what it carries: no second spelling of a valid link, no
// panic, no reference beyond the limit.
func FuzzParseToken(f *testing.F) {
	l, err := NewLinker(testBaseURL, testLinkSecret, time.Hour)
	if err != nil {
		f.Fatal(err)
	}
	valid := l.token("501", t0)
	f.Add(valid)
	f.Add(l.token(strings.Repeat("é", 200), t0))
	f.Add(strings.Replace(valid, ".", "=.", 1))
	f.Add(valid + ".")
	f.Add("..")
	f.Add("")
	f.Add("AAAAAAAAAAA.AAAA")
	f.Add("__________._" + strings.Repeat("-", 42))
	f.Fuzz(func(t *testing.T, token string) {
		ref, expires, err := l.parseToken(token)
		if err != nil {
			if ref != "" || !expires.IsZero() {
				t.Fatalf("failed parse returned %q, %v", ref, expires)
			}
			return
		}
		if ref == "" || len(ref) > MaxFileRefBytes {
			t.Fatalf("parsed reference of %d bytes", len(ref))
		}
		if again := l.token(ref, expires); again != token {
			t.Fatalf("token %q parses to (%q, %v), which signs as %q", token, ref, expires, again)
		}
	})
}

// Any body either is refused or yields a valid dossier code.
func FuzzParseLookupRequest(f *testing.F) {
	for _, s := range []string{
		`{"mahoso":"000.00.12.H29-251015-0001"}`, `{"session":"x","madonvi":"y","service":"TraCuuHoSo","mahoso":"a"}`,
		`{"MaHoSo":"a","maHoSo":"b"}`, `{"mahoso":null}`, `[]`, `null`, `{"mahoso":"a"} x`, `{"mahoso":"\u0000"}`, ``,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		req, err := parseLookupRequest(body)
		if err != nil {
			return
		}
		if !validCode(req.MaHoSo) || strings.TrimSpace(req.MaHoSo) != req.MaHoSo {
			t.Fatalf("accepted code %q from %q", req.MaHoSo, body)
		}
	})
}

// Allow-list entries either parse to prefixes that contain their own
// address or are refused.
func FuzzParseAllowList(f *testing.F) {
	for _, s := range []string{"10.0.0.0/24", "192.0.2.7", "::ffff:10.1.2.3", "2001:db8::/32", "fe80::1%eth0", "10.0.0.1/33", "", " 10.0.0.1 "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ps, err := ParseAllowList([]string{s})
		if err != nil {
			return
		}
		if len(ps) != 1 || !ps[0].IsValid() || ps[0] != ps[0].Masked() {
			t.Fatalf("ParseAllowList(%q) = %v", s, ps)
		}
	})
}
