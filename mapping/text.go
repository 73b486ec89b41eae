package mapping

import (
	"fmt"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/unicode/norm"
)

// textEncoding turns a legacy column's bytes into text. Every result is
// then checked for control characters, trimmed and normalised to NFC, so
// equal-looking Vietnamese text is equal byte for byte before it is
// compared, hashed or signed.
type textEncoding struct {
	name string
	// table maps each byte to its character for single-byte encodings;
	// -1 marks a byte the encoding does not define. Nil means UTF-8.
	table *[256]rune
}

const (
	encUTF8        = "utf8"
	encWindows1258 = "windows-1258"
	encTCVN3       = "tcvn3"
)

var (
	utf8Encoding        = &textEncoding{name: encUTF8}
	windows1258Encoding = &textEncoding{name: encWindows1258, table: windows1258Table()}
	tcvn3Encoding       = &textEncoding{name: encTCVN3, table: tcvn3Table()}
)

// encodingNames maps the accepted spellings of Encoding to an encoding.
var encodingNames = map[string]*textEncoding{
	"":             utf8Encoding,
	"utf8":         utf8Encoding,
	"utf-8":        utf8Encoding,
	"windows-1258": windows1258Encoding,
	"cp1258":       windows1258Encoding,
	"tcvn3":        tcvn3Encoding,
}

// lookupEncoding finds an encoding by its configured name (any case).
func lookupEncoding(name string) (*textEncoding, bool) {
	e, ok := encodingNames[strings.ToLower(strings.TrimSpace(name))]
	return e, ok
}

// encodingList names the encodings for error messages.
func encodingList() string {
	var names []string
	for n := range encodingNames {
		if n != "" {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

// windows1258Table takes Windows-1258 from x/text: it is the maintained
// definition. Bytes it leaves undefined (it decodes them to U+FFFD) are
// errors here, not replacement characters.
func windows1258Table() *[256]rune {
	var t [256]rune
	for b := range 256 {
		r := charmap.Windows1258.DecodeByte(byte(b))
		if r == utf8.RuneError {
			r = -1
		}
		t[b] = r
	}
	return &t
}

func tcvn3Table() *[256]rune {
	var t [256]rune
	for b := range 128 {
		t[b] = rune(b)
	}
	copy(t[128:], tcvn3Upper[:])
	return &t
}

// textError says why bytes are not acceptable text.
type textError struct{ reason string }

func (e *textError) Error() string { return e.reason }

// decodeString decodes s (a driver's string holds the column's bytes as
// they are) and cleans the result.
func (e *textEncoding) decodeString(s string) (string, error) {
	if e.table == nil {
		if err := checkUTF8(s); err != nil {
			return "", err
		}
		return clean(s)
	}
	return decodeSingleByte(e, s)
}

// decodeBytes is decodeString for a []byte value.
func (e *textEncoding) decodeBytes(b []byte) (string, error) {
	if e.table == nil {
		return e.decodeString(string(b))
	}
	return decodeSingleByte(e, b)
}

func decodeSingleByte[T string | []byte](e *textEncoding, src T) (string, error) {
	ascii := true
	for i := 0; i < len(src); i++ {
		if src[i] >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if ascii {
		// All legacy encodings here are ASCII in the lower half.
		return clean(string(src))
	}
	var b strings.Builder
	b.Grow(len(src) + len(src)/2)
	for i := 0; i < len(src); i++ {
		r := e.table[src[i]]
		if r < 0 {
			return "", &textError{fmt.Sprintf("byte 0x%02X at offset %d is not defined in %s", src[i], i, e.name)}
		}
		if isForbiddenControl(r) {
			return "", controlError(r, i) // offset in the source bytes
		}
		b.WriteRune(r)
	}
	return clean(b.String())
}

// checkUTF8 rejects invalid UTF-8, pointing at the first bad byte.
func checkUTF8(s string) error {
	if utf8.ValidString(s) {
		return nil
	}
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size <= 1 {
			return &textError{fmt.Sprintf("not valid UTF-8 (byte 0x%02X at offset %d); if the column holds legacy Vietnamese text, set encoding: windows-1258 or tcvn3", s[i], i)}
		}
		i += size
	}
	return nil
}

// clean rejects control characters other than tab, CR and LF, trims
// surrounding white space and returns the NFC form of valid UTF-8 s.
func clean(s string) (string, error) {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= utf8.RuneSelf {
			// Look for C1 controls (U+0080–U+009F) among the multi-byte
			// characters, then normalise.
			for j, r := range s[i:] {
				if isForbiddenControl(r) {
					return "", controlError(r, i+j)
				}
			}
			return norm.NFC.String(strings.TrimSpace(s)), nil
		}
		if isForbiddenControl(rune(c)) {
			return "", controlError(rune(c), i)
		}
	}
	return strings.TrimSpace(s), nil // ASCII is already NFC
}

func isForbiddenControl(r rune) bool {
	return unicode.IsControl(r) && r != '\t' && r != '\n' && r != '\r'
}

func controlError(r rune, offset int) error {
	return &textError{fmt.Sprintf("control character %U at offset %d (only tab, CR and LF are allowed in text)", r, offset)}
}
