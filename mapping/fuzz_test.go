package mapping

import (
	"errors"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// checkCleanText asserts what every decoded text must be: valid UTF-8, NFC,
// no control characters but tab/CR/LF, no surrounding white space.
func checkCleanText(t *testing.T, in []byte, out string) {
	t.Helper()
	if !utf8.ValidString(out) {
		t.Fatalf("% X: output %q is not valid UTF-8", in, out)
	}
	if !norm.NFC.IsNormalString(out) {
		t.Fatalf("% X: output %q is not NFC", in, out)
	}
	for _, r := range out {
		if isForbiddenControl(r) {
			t.Fatalf("% X: output %q holds control %U", in, out, r)
		}
	}
	if strings.TrimSpace(out) != out {
		t.Fatalf("% X: output %q has surrounding space", in, out)
	}
}

func fuzzDecode(f *testing.F, enc *textEncoding, seeds ...string) {
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		out, err := enc.decodeBytes(in)
		outS, errS := enc.decodeString(string(in))
		if out != outS || (err == nil) != (errS == nil) {
			t.Fatalf("% X: bytes gave %q, %v; string gave %q, %v", in, out, err, outS, errS)
		}
		if err != nil {
			var te *textError
			if !errors.As(err, &te) {
				t.Fatalf("% X: error %T", in, err)
			}
			if acceptable(enc, in) {
				t.Fatalf("% X: rejected acceptable input: %v", in, err)
			}
			return
		}
		if !acceptable(enc, in) {
			t.Fatalf("% X: accepted input with a control, invalid or undefined byte: %q", in, out)
		}
		checkCleanText(t, in, out)
	})
}

// acceptable says, independently of the decoder, whether in should decode.
func acceptable(enc *textEncoding, in []byte) bool {
	if enc.table == nil {
		if !utf8.Valid(in) {
			return false
		}
		for _, r := range string(in) {
			if unicode.IsControl(r) && !strings.ContainsRune("\t\r\n", r) {
				return false
			}
		}
		return true
	}
	for _, b := range in {
		r := enc.table[b]
		if r < 0 || (unicode.IsControl(r) && !strings.ContainsRune("\t\r\n", r)) {
			return false
		}
	}
	return true
}

func FuzzDecodeUTF8(f *testing.F) {
	fuzzDecode(f, utf8Encoding, "Nguyễn Thị Mai", "Nguye\u0302\u0303n", "Vi\u00ea\u0323t", " a\tb\r\n", "\xea\x80", "x\u0085y", "\u0301a")
}

func FuzzDecodeWindows1258(f *testing.F) {
	fuzzDecode(f, windows1258Encoding, "Nguy\xea\xden V\xe3n \xc1nh", "Vi\xea\xf2t", "\xcc\xcc\xd2", "\x81", " \xa0 ", "a\x01")
}

func FuzzDecodeTCVN3(f *testing.F) {
	fuzzDecode(f, tcvn3Encoding, "Tr\xc7n Th\xde H\xad\xacng", "Vi\xd6t", "a\xb3\xb0", "\xb3a", "\x01\x80\xff", "\xa0x\xa0")
}

// FuzzMapDates maps arbitrary text, bytes and numbers into a date field
// with several layouts: never a panic, and a result is either an *Error or
// a date in the configured zone within the years the wire can carry.
func FuzzMapDates(f *testing.F) {
	zone := time.FixedZone("ICT", 7*3600)
	cfg := Config{Streams: map[string]StreamMapping{"ho_so": {Packet: "HoSo", Fields: map[string]FieldMapping{
		"NgayTiepNhan": {Column: "c", Format: []string{"2006-01-02 15:04:05", "02/01/2006", time.RFC3339, "unix"}, Nulls: []string{"0000-00-00 00:00:00"}},
		"NgayHenTra":   {Column: "n", Format: []string{"unix_ms", "20060102"}},
	}}}}
	m, err := New(cfg, Options{Zone: zone})
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{"2026-09-03 08:15:00", "31/02/2025", "2026-09-03T08:15:00+09:00", "1788311400", "0000-00-00 00:00:00", "", "99999999999999999", "-62135596801"} {
		f.Add(s, false, int64(1788311400000))
	}
	f.Add("2026-09-03 08:15:00", true, int64(20260903))
	f.Add("\xff", true, int64(-1))
	f.Fuzz(func(t *testing.T, s string, asBytes bool, n int64) {
		var v any = s
		if asBytes {
			v = []byte(s)
		}
		p, _, err := m.Map("ho_so", "1", map[string]any{"c": v, "n": n})
		if err != nil {
			var me *Error
			if !errors.As(err, &me) || me.Reason == "" || (me.Field != "NgayTiepNhan" && me.Field != "NgayHenTra") {
				t.Fatalf("error %#v", err)
			}
			return
		}
		for _, d := range []time.Time{p.Dossier.NgayTiepNhan.Time, p.Dossier.NgayHenTra.Time} {
			if d.IsZero() {
				continue
			}
			if d.Location() != zone || d.Year() < 1 || d.Year() > 9999 {
				t.Fatalf("%q / %d gave %v", s, n, d)
			}
		}
	})
}

// FuzzMapCodes maps arbitrary values through a code table, exactly and
// case-insensitively: a result is always one of the table's codes (or
// empty for NULL), and a value equal to a key always maps.
func FuzzMapCodes(f *testing.F) {
	tables := map[string]map[string]string{"trang_thai": {
		"DA_TIEP_NHAN": "2", "DANG_XU_LY": "4", "Đang xử lý": "4", "đã trả kết quả": "10", "5": "5",
	}}
	mappers := map[bool]*Mapper{}
	for _, fold := range []bool{false, true} {
		cfg := Config{CodeTables: tables, Streams: map[string]StreamMapping{"ho_so": {Packet: "HoSo", Fields: map[string]FieldMapping{
			"TrangThaiHoSo": {Column: "c", CodeTable: "trang_thai", CaseInsensitive: fold},
		}}}}
		m, err := New(cfg, Options{})
		if err != nil {
			f.Fatal(err)
		}
		mappers[fold] = m
	}
	codes := map[string]bool{"": true}
	for _, c := range tables["trang_thai"] {
		codes[c] = true
	}
	for _, s := range []string{"DANG_XU_LY", " DA_TIEP_NHAN ", "Đang xử lý", "\u0110ang xu\u031b\u0309 ly\u0301", "ĐÃ TRẢ KẾT QUẢ", "5", "CU", "", "\xff"} {
		f.Add([]byte(s), false)
		f.Add([]byte(s), true)
	}
	f.Fuzz(func(t *testing.T, in []byte, fold bool) {
		p, _, err := mappers[fold].Map("ho_so", "1", map[string]any{"c": in})
		key, decodeErr := utf8Encoding.decodeBytes(in)
		_, isKey := tables["trang_thai"][key]
		if err != nil {
			var me *Error
			if !errors.As(err, &me) || me.Field != "TrangThaiHoSo" {
				t.Fatalf("error %#v", err)
			}
			if decodeErr == nil && isKey {
				t.Fatalf("%q is a key but did not map: %v", key, err)
			}
			return
		}
		if got := p.Dossier.TrangThaiHoSo; !codes[got] {
			t.Fatalf("%q mapped to %q, not a code of the table", in, got)
		}
	})
}
