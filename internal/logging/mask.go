package logging

import (
	"encoding"
	"fmt"
	"reflect"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Redacted replaces the whole value of a secret.
const Redacted = "[REDACTED]"

// defaultPersonalKeys are the attribute keys whose whole value is personal
// data: the packet wire names (SPEC-legal.md: ChuHoSo, SoGiayToChuHoSo,
// SoDienThoai, Email, DinhDanhCHS must be masked) and the column names
// legacy one-stop databases commonly use for the same facts. Keys are
// compared after lower-casing and removing '_', '-', '.' and spaces, so
// "ChuHoSo", "chu_ho_so" and "CHU-HO-SO" are one key.
var defaultPersonalKeys = []string{
	"ChuHoSo", "SoGiayToChuHoSo", "SoDienThoai", "Email", "Fax",
	"SoDinhDanh", "MaDoiTuong", "NguoiXuLy", "DinhDanhCHS",
	"LyDo", "ly_do", // a rating's reason: the citizen's own words
	"ho_ten", "ho_va_ten", "name", "full_name", "ten_nguoi_nop",
	"nguoi_nop", "nguoi_nhan", "can_bo", "so_giay_to", "cmnd", "cccd",
	"so_cmnd", "so_cccd", "dien_thoai", "sdt", "phone", "mobile",
	"dia_chi", "address",
}

// personalFragments mark a key as personal wherever they occur in it, so
// legacy columns such as ho_ten_nguoi_nop or email_cong_dan are caught
// without listing every spelling.
var personalFragments = []string{
	"hoten", "chuhoso", "nguoinop", "dienthoai", "email", "cmnd", "cccd",
	"diachi",
}

// secretSuffixes mark a key as a secret when its normalised form ends with
// one of them: client_secret, access_token and the Authorization header
// are redacted, token_url and token_auth are not.
var secretSuffixes = []string{
	"password", "passwd", "pwd", "passphrase", "secret", "token",
	"authorization", "apikey", "privatekey", "cookie", "session",
}

// keyClass says how a value is masked because of its key.
type keyClass uint8

const (
	classNone     keyClass = iota // free text: mask what the patterns find
	classDSN                      // a data source name: hide its password
	classPersonal                 // whole value is personal: keep a hint
	classSecret                   // whole value is secret: no hint
)

// Masker masks personal data and secrets. It is immutable and safe for
// concurrent use.
type Masker struct {
	personal map[string]bool
}

var defaultMasker = NewMasker()

// DefaultPersonalKeys returns the built-in personal keys (a copy), for
// documentation and `doctor`.
func DefaultPersonalKeys() []string { return append([]string(nil), defaultPersonalKeys...) }

// NewMasker returns a masker that treats the built-in personal keys and
// extra as personal keys.
func NewMasker(extra ...string) *Masker {
	m := &Masker{personal: make(map[string]bool, len(defaultPersonalKeys)+len(extra))}
	for _, k := range defaultPersonalKeys {
		m.personal[normKey(k)] = true
	}
	for _, k := range extra {
		if n := normKey(k); n != "" {
			m.personal[n] = true
		}
	}
	return m
}

// MaskString masks personal data and secrets found anywhere in free text
// with the default masker. See Masker.String.
func MaskString(s string) string { return defaultMasker.String(s) }

// MaskValue masks v as the value of key with the default masker. See
// Masker.Value.
func MaskValue(key string, v any) any { return defaultMasker.Value(key, v) }

func normKey(k string) string {
	var b strings.Builder
	b.Grow(len(k))
	for _, r := range k {
		switch r {
		case '_', '-', '.', ' ':
			continue
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}

func (m *Masker) classify(key string) keyClass {
	if key == "" {
		return classNone
	}
	k := normKey(key)
	for _, s := range secretSuffixes {
		if strings.HasSuffix(k, s) {
			return classSecret
		}
	}
	if strings.HasSuffix(k, "dsn") {
		return classDSN
	}
	if m.personal[k] {
		return classPersonal
	}
	for _, f := range personalFragments {
		if strings.Contains(k, f) {
			return classPersonal
		}
	}
	return classNone
}

// Value masks v as the value of key. Values under a personal key are
// masked whole, keeping a hint; values under a secret key become
// "[REDACTED]"; other strings are scanned like String. Maps, slices and
// structs are walked, and their own keys and field names are classified
// the same way, so a raw legacy record or a packet can be passed as is.
// Numbers, booleans and times under ordinary keys are returned unchanged.
func (m *Masker) Value(key string, v any) any {
	return m.value(m.classify(key), v, 0)
}

// maxDepth bounds the walk through nested values (and cycles through
// pointers).
const maxDepth = 8

func (m *Masker) value(c keyClass, v any, depth int) any {
	switch x := v.(type) {
	case nil:
		return nil
	case string:
		return m.text(c, x)
	case []byte:
		return m.text(c, string(x))
	case error:
		return m.text(c, x.Error())
	case bool, int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64,
		float32, float64, time.Duration, time.Time:
		if c == classNone || c == classDSN {
			return v
		}
		if t, ok := x.(time.Time); ok {
			return m.text(c, t.Format(time.RFC3339))
		}
		return m.text(c, fmt.Sprint(x))
	case map[string]any:
		if depth >= maxDepth {
			return "[…]"
		}
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = m.value(m.inherit(c, k), e, depth+1)
		}
		return out
	case []any:
		if depth >= maxDepth {
			return "[…]"
		}
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = m.value(c, e, depth+1)
		}
		return out
	case fmt.Stringer:
		// Named types that know how to print themselves (config.Secret,
		// packets.Time …) are trusted to show what they want shown, then
		// scanned.
		return m.text(c, x.String())
	case encoding.TextMarshaler:
		b, err := x.MarshalText()
		if err != nil {
			return m.text(c, fmt.Sprint(x))
		}
		return m.text(c, string(b))
	}
	return m.reflectValue(c, reflect.ValueOf(v), depth)
}

// inherit classifies a nested key: inside a personal or secret value
// everything stays masked.
func (m *Masker) inherit(parent keyClass, key string) keyClass {
	if parent == classPersonal || parent == classSecret {
		return parent
	}
	return m.classify(key)
}

func (m *Masker) reflectValue(c keyClass, rv reflect.Value, depth int) any {
	if depth >= maxDepth {
		return "[…]"
	}
	switch rv.Kind() {
	case reflect.Pointer, reflect.Interface:
		if rv.IsNil() {
			return nil
		}
		return m.value(c, rv.Elem().Interface(), depth+1)
	case reflect.Map:
		out := make(map[string]any, rv.Len())
		it := rv.MapRange()
		for it.Next() {
			k := fmt.Sprint(it.Key().Interface())
			out[k] = m.value(m.inherit(c, k), it.Value().Interface(), depth+1)
		}
		return out
	case reflect.Slice, reflect.Array:
		out := make([]any, rv.Len())
		for i := range out {
			out[i] = m.value(c, rv.Index(i).Interface(), depth+1)
		}
		return out
	case reflect.Struct:
		t := rv.Type()
		out := make(map[string]any, t.NumField())
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			out[f.Name] = m.value(m.inherit(c, f.Name), rv.Field(i).Interface(), depth+1)
		}
		return out
	case reflect.String:
		return m.text(c, rv.String())
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		if c == classNone || c == classDSN {
			return rv.Interface()
		}
		return m.text(c, fmt.Sprint(rv.Interface()))
	}
	// Channels, functions: their printed form carries no data.
	return m.text(c, fmt.Sprint(rv.Interface()))
}

// text masks s according to the class of its key.
func (m *Masker) text(c keyClass, s string) string {
	switch c {
	case classSecret:
		if s == "" {
			return ""
		}
		return Redacted
	case classPersonal:
		return maskPersonal(s)
	case classDSN:
		return maskDSN(m.String(s))
	}
	return m.String(s)
}

var (
	// scheme://user:password@host — URLs and URL-style DSNs.
	urlUserinfoRE = regexp.MustCompile(`([A-Za-z][A-Za-z0-9+.\-]*://[^\s:/@]*):([^\s/@]+)@`)
	// user:password@tcp(host)/db — go-sql-driver/mysql DSNs.
	mysqlDSNRE = regexp.MustCompile(`([^\s:/@]+):\S*@((?:tcp6?|unix|udp)?[(/])`)
	// password=…, "client_secret": "…", Password=…; (key=value DSNs,
	// query strings, JSON).
	secretKVRE = regexp.MustCompile(`(?i)((?:password|passwd|pwd|passphrase|client_secret|access_token|refresh_token|secret|token|api_?key)"?\s*[=:]\s*)("[^"]*"|'[^']*'|[^\s&;,"'}]+)`)
	// Authorization header values.
	authSchemeRE = regexp.MustCompile(`(?i)\b(bearer|basic)\s+[A-Za-z0-9\-._~+/]+=*`)
	emailRE      = regexp.MustCompile(`[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}`)
)

// String masks what can be recognised in free text: secrets written as
// key=value, URL passwords and Authorization values; e-mail addresses;
// Vietnamese phone numbers (0xxxxxxxxx, +84…, 0084…, with spaces, dots or
// hyphens between digits); and 9- or 12-digit ID numbers (CMND/CCCD).
// Names cannot be recognised in free text: log them under a personal key.
// UUIDs (message IDs) are left intact so log lines can be correlated.
func (m *Masker) String(s string) string {
	f := scan(s)
	if f == 0 {
		return s
	}
	// Each pattern runs only when the characters it needs are present:
	// most log strings are stream names, codes and UUIDs.
	if f&hasAt != 0 && f&hasColon != 0 {
		if strings.Contains(s, "://") {
			s = urlUserinfoRE.ReplaceAllString(s, "${1}:"+Redacted+"@")
		}
		s = mysqlDSNRE.ReplaceAllString(s, "${1}:"+Redacted+"@${2}")
	}
	if f&(hasEquals|hasColon) != 0 && mentionsSecret(s) {
		s = secretKVRE.ReplaceAllString(s, "${1}"+Redacted)
	}
	if f&hasAuthScheme != 0 {
		s = authSchemeRE.ReplaceAllString(s, "${1} "+Redacted)
	}
	if f&hasAt != 0 {
		s = emailRE.ReplaceAllStringFunc(s, maskEmail)
	}
	if f&hasDigit != 0 {
		s = maskNumbers(s)
	}
	return s
}

type features uint8

const (
	hasDigit features = 1 << iota
	hasAt
	hasEquals
	hasColon
	hasAuthScheme
)

// scan notes, in one pass, which characters the patterns need.
func scan(s string) features {
	var f features
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			f |= hasDigit
		case c == '@':
			f |= hasAt
		case c == '=':
			f |= hasEquals
		case c == ':':
			f |= hasColon
		case c == 'b' || c == 'B':
			if hasPrefixFold(s[i:], "bearer ") || hasPrefixFold(s[i:], "basic ") {
				f |= hasAuthScheme
			}
		}
	}
	return f
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// secretWords are the stems secretKVRE looks for, to skip the regex when
// none is present.
var secretWords = []string{"pass", "pwd", "secret", "token", "api"}

func mentionsSecret(s string) bool {
	for _, w := range secretWords {
		for i := 0; i+len(w) <= len(s); i++ {
			if hasPrefixFold(s[i:], w) {
				return true
			}
		}
	}
	return false
}

func maskEmail(e string) string {
	at := strings.LastIndexByte(e, '@')
	if at <= 0 {
		return e
	}
	first, _ := utf8.DecodeRuneInString(e)
	return string(first) + "***" + e[at:]
}

// maskNumbers masks phone numbers and ID numbers. A candidate must stand
// alone: the characters around it are not letters, digits or '_', so
// digits inside hashes, codes like 000.00.12.H29 or MaHoSo and UUIDs stay.
func maskNumbers(s string) string {
	var b strings.Builder
	last := 0
	for i := 0; i < len(s); {
		c := s[i]
		if !(isDigit(c) || c == '+') || !standsAlone(s, i, -1) || inUUID(s, i) {
			i++
			continue
		}
		end := matchPhone(s, i)
		if end < 0 {
			end = matchIDRun(s, i)
		}
		if end < 0 {
			i = skipToken(s, i)
			continue
		}
		b.WriteString(s[last:i])
		b.WriteString(maskDigits(s[i:end]))
		last, i = end, end
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// standsAlone reports whether the rune before i (dir -1) or at i (dir +1)
// is not part of a word.
func standsAlone(s string, i, dir int) bool {
	var r rune
	if dir < 0 {
		if i == 0 {
			return true
		}
		r, _ = utf8.DecodeLastRuneInString(s[:i])
	} else {
		if i >= len(s) {
			return true
		}
		r, _ = utf8.DecodeRuneInString(s[i:])
	}
	// A mask star counts as part of a word so masking stays idempotent.
	return !(unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_' || r == '*')
}

// inUUID reports whether position i lies in a UUID (8-4-4-4-12 hex
// digits): message IDs must stay readable even when a group is all digits.
func inUUID(s string, i int) bool {
	isHexOrDash := func(c byte) bool {
		return isDigit(c) || c == '-' || (c|0x20 >= 'a' && c|0x20 <= 'f')
	}
	start, end := i, i
	for start > 0 && isHexOrDash(s[start-1]) {
		start--
	}
	for end < len(s) && isHexOrDash(s[end]) {
		end++
	}
	tok := s[start:end]
	if len(tok) != 36 {
		return false
	}
	for k := 0; k < 36; k++ {
		if (tok[k] == '-') != (k == 8 || k == 13 || k == 18 || k == 23) {
			return false
		}
	}
	return true
}

// skipToken moves past the digit run at i so its tail is not re-examined
// as a new candidate.
func skipToken(s string, i int) int {
	i++
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	return i
}

// matchPhone returns the end of a Vietnamese phone number starting at i,
// or -1: 0, +84 or 0084 followed by 9 subscriber digits (mobile) or 10
// (landline); one space, dot or hyphen may separate digit groups of two
// to seven digits ("0912 345 678", "028.3829.1234").
func matchPhone(s string, i int) int {
	j := i
	switch {
	case strings.HasPrefix(s[j:], "+84"):
		j += 3
	case strings.HasPrefix(s[j:], "0084"):
		j += 4
	case s[j] == '0':
		j++
	default:
		return -1
	}
	digits, end9, end10 := 0, -1, -1
	var sep byte // people separate groups consistently; "0001-01-01 00:00" is a time
	for j < len(s) && digits < 10 {
		switch {
		case isDigit(s[j]):
			digits++
			j++
			if digits == 9 {
				end9 = j
			} else if digits == 10 {
				end10 = j
			}
			continue
		case (s[j] == ' ' || s[j] == '.' || s[j] == '-') && (sep == 0 || sep == s[j]) &&
			isDigit(s[j-1]) && isPhoneGroup(s[j+1:]):
			sep = s[j]
			j++
			continue
		}
		break
	}
	for _, e := range []int{end10, end9} {
		if e > 0 && standsAlone(s, e, +1) {
			return e
		}
	}
	return -1
}

// isPhoneGroup reports whether s starts with a run of 2–7 digits, the
// group sizes people write phone numbers in; a lone digit or a long run
// after a space is another number.
func isPhoneGroup(s string) bool {
	n := 0
	for n < len(s) && isDigit(s[n]) {
		n++
	}
	return n >= 2 && n <= 7
}

func countDigits(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		if isDigit(s[i]) {
			n++
		}
	}
	return n
}

// matchIDRun returns the end of a plain digit run starting at i that is an
// ID number (9 or 12 digits) or a phone number written without prefix
// separators (84xxxxxxxxx), or -1.
func matchIDRun(s string, i int) int {
	j := i
	for j < len(s) && isDigit(s[j]) {
		j++
	}
	if !standsAlone(s, j, +1) {
		return -1
	}
	n := j - i
	switch {
	case n == 9 || n == 12:
		return j
	case (n == 11 || n == 12) && strings.HasPrefix(s[i:j], "84"):
		return j
	}
	return -1
}

// maskDigits keeps the first two and last two digits of a long number
// (fewer of short ones) and every non-digit, so "0912.345.678" becomes
// "09**.***.*78".
func maskDigits(s string) string {
	n := countDigits(s)
	keepHead, keepTail := 2, 2
	switch {
	case n < 5:
		keepHead, keepTail = 0, 0
	case n < 8:
		keepHead, keepTail = 1, 1
	}
	b := []byte(s)
	seen := 0
	for i, c := range b {
		if !isDigit(c) {
			continue
		}
		seen++
		if seen > keepHead && seen <= n-keepTail {
			b[i] = '*'
		}
	}
	return string(b)
}

// vietnameseInitials are initial consonant clusters kept whole in a masked
// name, longest first, so "Nguyễn" shows as "Ng***" rather than "N***".
var vietnameseInitials = []string{"ngh", "ng", "nh", "ch", "gh", "gi", "kh", "ph", "qu", "th", "tr"}

// maskPersonal masks a value known to be personal, keeping a hint of its
// shape: e-mail → first letter and domain; numbers → first and last two
// digits; words (names, addresses) → initial consonant(s) of each word.
func maskPersonal(s string) string {
	if strings.TrimSpace(s) == "" {
		return s
	}
	if isNumberLike(s) {
		return maskDigits(s)
	}
	if emailRE.MatchString(s) {
		s = emailRE.ReplaceAllStringFunc(s, maskEmail)
	}
	words := strings.Fields(s)
	for i, w := range words {
		switch {
		case strings.Contains(w, "***@"):
			// already masked e-mail
		case countDigits(w) > 0:
			words[i] = maskDigits(w)
		default:
			words[i] = maskWord(w)
		}
	}
	return strings.Join(words, " ")
}

// isNumberLike reports whether s is a number as people write phone and ID
// numbers: digits with spaces, dots, hyphens, parentheses or a leading +.
func isNumberLike(s string) bool {
	digits := 0
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			digits++
		case r == ' ' || r == '.' || r == '-' || r == '(' || r == ')' || r == '+':
		default:
			return false
		}
	}
	return digits > 0
}

func maskWord(w string) string {
	runes := []rune(w)
	// Trailing punctuation ("Lợi,") is kept so the shape of an address
	// stays readable.
	end := len(runes)
	for end > 0 && unicode.IsPunct(runes[end-1]) {
		end--
	}
	tail := string(runes[end:])
	runes = runes[:end]
	if len(runes) <= 1 {
		return string(runes) + tail
	}
	keep := 1
	lower := strings.ToLower(w)
	for _, in := range vietnameseInitials {
		if strings.HasPrefix(lower, in) && utf8.RuneCountInString(in) < len(runes) {
			keep = utf8.RuneCountInString(in)
			break
		}
	}
	return string(runes[:keep]) + "***" + tail
}

// maskDSN hides the password of a data source name that the free-text
// patterns did not recognise: everything between the user name and the
// last '@' goes.
func maskDSN(s string) string {
	if strings.Contains(s, Redacted) {
		return s
	}
	at := strings.LastIndexByte(s, '@')
	if at < 0 {
		return s
	}
	userStart := 0
	if k := strings.Index(s, "://"); k >= 0 && k < at {
		userStart = k + 3
	}
	colon := strings.IndexByte(s[userStart:at], ':')
	if colon < 0 {
		return s
	}
	return s[:userStart+colon+1] + Redacted + s[at:]
}
