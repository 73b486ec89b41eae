package mapping

import (
	"bytes"
	"math/rand/v2"
	"os"
	"os/exec"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

func TestDecodeText(t *testing.T) {
	tests := []struct {
		name    string
		enc     *textEncoding
		in      []byte
		want    string
		wantErr string
	}{
		{"utf8 ascii", utf8Encoding, []byte("Ho so 12"), "Ho so 12", ""},
		{"utf8 vietnamese", utf8Encoding, []byte("Nguyễn Thị Mai"), "Nguyễn Thị Mai", ""},
		{"utf8 NFD composed", utf8Encoding, []byte("Nguye\u0302\u0303n"), "Nguyễn", ""},
		{"utf8 hat plus combining tone composed", utf8Encoding, []byte("Vi\u00ea\u0323t"), "Việt", ""},
		{"utf8 trims surrounding space", utf8Encoding, []byte("  Sài Gòn \t\r\n"), "Sài Gòn", ""},
		{"utf8 keeps inner tab CR LF", utf8Encoding, []byte("a\tb\r\nc"), "a\tb\r\nc", ""},
		{"utf8 invalid", utf8Encoding, []byte("Nguy\xeabn"), "", "not valid UTF-8 (byte 0xEA at offset 4); if the column holds legacy Vietnamese text, set encoding: windows-1258 or tcvn3"},
		{"utf8 truncated sequence", utf8Encoding, []byte("Vi\xe1\xbb"), "", "not valid UTF-8 (byte 0xE1 at offset 2); if the column holds legacy Vietnamese text, set encoding: windows-1258 or tcvn3"},
		{"utf8 NUL", utf8Encoding, []byte("ab\x00c"), "", "control character U+0000 at offset 2 (only tab, CR and LF are allowed in text)"},
		{"utf8 DEL", utf8Encoding, []byte("ab\x7f"), "", "control character U+007F at offset 2 (only tab, CR and LF are allowed in text)"},
		{"utf8 C1 control", utf8Encoding, []byte("Hà\u0085Nội"), "", "control character U+0085 at offset 3 (only tab, CR and LF are allowed in text)"},
		{"utf8 empty", utf8Encoding, []byte(""), "", ""},
		{"windows-1258 combining tones", windows1258Encoding, []byte("Nguy\xea\xden V\xe3n \xc1nh"), "Nguyễn Văn Ánh", ""},
		{"windows-1258 Viet", windows1258Encoding, []byte("Vi\xea\xf2t"), "Việt", ""},
		{"windows-1258 d-stroke", windows1258Encoding, []byte("\xd0\xf4ng"), "Đông", ""},
		{"windows-1258 ascii only", windows1258Encoding, []byte("UBND"), "UBND", ""},
		{"windows-1258 undefined byte", windows1258Encoding, []byte("ab\x81"), "", "byte 0x81 at offset 2 is not defined in windows-1258"},
		{"windows-1258 control", windows1258Encoding, []byte("\xea\x01"), "", "control character U+0001 at offset 1 (only tab, CR and LF are allowed in text)"},
		{"tcvn3 name", tcvn3Encoding, []byte("Tr\xc7n Th\xde H\xad\xacng"), "Trần Thị Hương", ""},
		{"tcvn3 Viet", tcvn3Encoding, []byte("Vi\xd6t"), "Việt", ""},
		{"tcvn3 base capitals", tcvn3Encoding, []byte("\xa7\xa1\xa2\xa3\xa4\xa5\xa6"), "ĐĂÂÊÔƠƯ", ""},
		{"tcvn3 combining mark composed", tcvn3Encoding, []byte("a\xb3"), "á", ""},
		{"tcvn3 no-break space kept inside", tcvn3Encoding, []byte("a\xa0b"), "a\u00a0b", ""},
		{"tcvn3 C0 is control, not a VN1 capital", tcvn3Encoding, []byte("\x01"), "", "control character U+0001 at offset 0 (only tab, CR and LF are allowed in text)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, form := range []string{"bytes", "string"} {
				var got string
				var err error
				if form == "bytes" {
					got, err = tt.enc.decodeBytes(tt.in)
				} else {
					got, err = tt.enc.decodeString(string(tt.in))
				}
				if tt.wantErr != "" {
					if err == nil || err.Error() != tt.wantErr {
						t.Fatalf("%s: err = %v, want %q", form, err, tt.wantErr)
					}
					continue
				}
				if err != nil {
					t.Fatalf("%s: %v", form, err)
				}
				if got != tt.want {
					t.Errorf("%s: got %q, want %q", form, got, tt.want)
				}
			}
		})
	}
}

func TestLookupEncoding(t *testing.T) {
	for name, want := range map[string]string{
		"": encUTF8, "utf8": encUTF8, "UTF-8": encUTF8, "windows-1258": encWindows1258,
		"CP1258": encWindows1258, " tcvn3 ": encTCVN3,
	} {
		e, ok := lookupEncoding(name)
		if !ok || e.name != want {
			t.Errorf("lookupEncoding(%q) = %v, %v; want %s", name, e, ok, want)
		}
	}
	for _, name := range []string{"vni", "latin1", "tcvn"} {
		if _, ok := lookupEncoding(name); ok {
			t.Errorf("lookupEncoding(%q) succeeded, want unknown", name)
		}
	}
}

// iconvPath is glibc iconv, the independent oracle for the legacy tables.
const iconvPath = "/usr/bin/iconv"

// requireIconv fails the test when iconv is missing, unless the developer
// said so explicitly: a silently skipped oracle proves nothing.
func requireIconv(t *testing.T) {
	t.Helper()
	if _, err := os.Stat(iconvPath); err != nil {
		if os.Getenv("LGSP_TEST_NO_ICONV") != "" {
			t.Skip("iconv not available and LGSP_TEST_NO_ICONV is set")
		}
		t.Fatalf("%s not found (install glibc's iconv, e.g. Debian libc-bin, or set LGSP_TEST_NO_ICONV=1): %v", iconvPath, err)
	}
}

// iconvDecode converts src from charset to UTF-8 with glibc iconv.
func iconvDecode(t *testing.T, charset string, src []byte) (string, bool) {
	t.Helper()
	cmd := exec.Command(iconvPath, "-f", charset, "-t", "UTF-8")
	cmd.Stdin = bytes.NewReader(src)
	var out bytes.Buffer
	cmd.Stdout = &out
	if err := cmd.Run(); err != nil {
		if _, isExit := err.(*exec.ExitError); isExit {
			return "", false // iconv rejects the input
		}
		t.Fatalf("run iconv: %v", err)
	}
	return out.String(), true
}

// tcvn3VN1OnlyBytes are the C0 bytes where glibc's TCVN5712-1 (VN1)
// decodes upper-case letters and VN3 keeps ASCII control characters.
var tcvn3VN1OnlyBytes = map[byte]rune{
	0x01: 'Ú', 0x02: 'Ụ', 0x04: 'Ừ', 0x05: 'Ử', 0x06: 'Ữ',
	0x11: 'Ứ', 0x12: 'Ự', 0x13: 'Ỳ', 0x14: 'Ỷ', 0x15: 'Ỹ', 0x16: 'Ý', 0x17: 'Ỵ',
}

// TestTCVN3TableMatchesIconv compares every one of the 256 bytes with glibc
// iconv -f TCVN5712-1; the only differences allowed are the VN1 capitals
// in the C0 range, which VN3 leaves as control characters.
func TestTCVN3TableMatchesIconv(t *testing.T) {
	requireIconv(t)
	for b := range 256 {
		got, ok := iconvDecode(t, "TCVN5712-1", []byte{byte(b)})
		if !ok {
			t.Errorf("byte 0x%02X: iconv rejects it, our table has %U", b, tcvn3Encoding.table[b])
			continue
		}
		r, size := utf8.DecodeRuneInString(got)
		if size != len(got) {
			t.Errorf("byte 0x%02X: iconv gave %q, more than one character", b, got)
			continue
		}
		ours := tcvn3Encoding.table[b]
		if vn1, differs := tcvn3VN1OnlyBytes[byte(b)]; differs {
			if r != vn1 || ours != rune(b) {
				t.Errorf("byte 0x%02X: iconv %U (want VN1 %U), ours %U (want the control character)", b, r, vn1, ours)
			}
			continue
		}
		if ours != r {
			t.Errorf("byte 0x%02X: ours %U %q, iconv %U %q", b, ours, ours, r, r)
		}
	}
}

// TestWindows1258TableMatchesIconv compares every byte with glibc iconv
// -f CP1258: same character, and undefined in both or in neither.
func TestWindows1258TableMatchesIconv(t *testing.T) {
	requireIconv(t)
	for b := range 256 {
		got, ok := iconvDecode(t, "CP1258", []byte{byte(b)})
		ours := windows1258Encoding.table[b]
		if !ok {
			if ours != -1 {
				t.Errorf("byte 0x%02X: iconv rejects it, ours decodes %U", b, ours)
			}
			continue
		}
		if r, size := utf8.DecodeRuneInString(got); size != len(got) || r != ours {
			t.Errorf("byte 0x%02X: ours %U, iconv %q", b, ours, got)
		}
	}
}

// TestDecodeMatchesIconvOnText decodes whole strings, where glibc composes
// base letters with the combining tone bytes and we compose with NFC: the
// NFC forms must agree. Fixed phrases plus seeded random byte strings.
func TestDecodeMatchesIconvOnText(t *testing.T) {
	requireIconv(t)
	type sample struct {
		enc     *textEncoding
		charset string
		phrases []string // UTF-8 text to encode with iconv first
	}
	samples := []sample{
		{tcvn3Encoding, "TCVN5712-1", []string{"Trần Thị Hương", "Việt Nam", "Ủy ban nhân dân phường Bến Thành", "Đăng ký khai sinh", "ăâêôơưđ"}},
		{windows1258Encoding, "CP1258", []string{"Nguyễn Văn Ánh", "Việt Nam", "Ủy ban nhân dân phường Bến Thành", "Đăng ký khai sinh", "Chứng thực bản sao"}},
	}
	rng := rand.New(rand.NewPCG(1705, 2025))
	for _, s := range samples {
		var inputs [][]byte
		for _, p := range s.phrases {
			cmd := exec.Command(iconvPath, "-f", "UTF-8", "-t", s.charset)
			cmd.Stdin = strings.NewReader(p)
			enc, err := cmd.Output()
			if err != nil {
				t.Fatalf("iconv encode %q to %s: %v", p, s.charset, err)
			}
			inputs = append(inputs, enc)
		}
		// Random printable bytes, upper half included: base letters next to
		// combining marks in every order.
		for range 60 {
			n := 1 + rng.IntN(12)
			b := make([]byte, 0, n)
			for len(b) < n {
				c := byte(0x20 + rng.IntN(0xE0))
				if c == 0x7F || s.enc.table[c] < 0 {
					continue
				}
				b = append(b, c)
			}
			inputs = append(inputs, b)
		}
		for _, in := range inputs {
			ours, err := s.enc.decodeBytes(in)
			if err != nil {
				t.Errorf("%s % X: %v", s.enc.name, in, err)
				continue
			}
			theirs, ok := iconvDecode(t, s.charset, in)
			if !ok {
				t.Errorf("%s % X: iconv rejects it", s.enc.name, in)
				continue
			}
			if want := norm.NFC.String(strings.TrimSpace(theirs)); ours != want {
				t.Errorf("%s % X: ours %q, iconv (NFC) %q", s.enc.name, in, ours, want)
			}
		}
	}
}
