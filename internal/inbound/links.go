package inbound

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/hcmc-lgsp/lgsp-connector/packets"
)

// Limits of download links.
const (
	// MinLinkSecretBytes is the shortest accepted HMAC key.
	MinLinkSecretBytes = 32
	// MaxFileRefBytes bounds the file reference a link carries.
	MaxFileRefBytes = 512
	// maxTokenLen bounds what parseToken looks at: a token of the longest
	// reference, with room to spare.
	maxTokenLen = 1024
	// linkContext separates this MAC from any other use of the key.
	linkContext = "lgsp-connector/file-link/v1\x00"
)

// The ways a link token fails.
var (
	errMalformedToken = errors.New("link token is malformed")
	errBadSignature   = errors.New("link token signature does not match")
)

// Linker makes and checks the signed, expiring download links the
// connector publishes in DuongDanTaiTepTin. A link is
//
//	<public base URL>/files/<payload>.<mac>
//
// where payload is base64url(8-byte big-endian Unix expiry ‖ file
// reference) and mac is base64url(HMAC-SHA256(key, context ‖ payload
// bytes)). The reference is visible in the link (base64 is not
// encryption): it should be an attachment id, not a path that may hold a
// person's name. Links cannot be revoked one by one; rotating the key
// revokes them all.
type Linker struct {
	base string // public base URL, without trailing slash
	key  []byte
	ttl  time.Duration
}

// NewLinker checks its inputs: an absolute http(s) base URL, a key of at
// least MinLinkSecretBytes bytes, a positive TTL.
func NewLinker(publicBaseURL string, key []byte, ttl time.Duration) (*Linker, error) {
	u, err := url.Parse(publicBaseURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("inbound: public base URL %q must be an absolute http(s) URL without query, e.g. https://lgsp.example.gov.vn/phuong-x", publicBaseURL)
	}
	if len(key) < MinLinkSecretBytes {
		return nil, fmt.Errorf("inbound: link secret has %d bytes, want at least %d", len(key), MinLinkSecretBytes)
	}
	if ttl <= 0 {
		return nil, fmt.Errorf("inbound: link TTL %s must be positive", ttl)
	}
	return &Linker{base: strings.TrimRight(publicBaseURL, "/"), key: append([]byte(nil), key...), ttl: ttl}, nil
}

// FileURL returns the link to the file ref, valid until now + TTL
// (rounded down to the second).
func (l *Linker) FileURL(ref string, now time.Time) string {
	return l.base + "/files/" + l.token(ref, now.Add(l.ttl))
}

var b64 = base64.RawURLEncoding.Strict()

func (l *Linker) token(ref string, expires time.Time) string {
	payload := make([]byte, 8, 8+len(ref))
	binary.BigEndian.PutUint64(payload, uint64(expires.Unix()))
	payload = append(payload, ref...)
	return b64.EncodeToString(payload) + "." + b64.EncodeToString(l.mac(payload))
}

func (l *Linker) mac(payload []byte) []byte {
	m := hmac.New(sha256.New, l.key)
	m.Write([]byte(linkContext))
	m.Write(payload)
	return m.Sum(nil)
}

// parseToken checks a token's signature (in constant time) and returns
// the reference and expiry it carries. It does not judge the expiry: the
// caller answers "expired" differently from "forged".
func (l *Linker) parseToken(token string) (ref string, expires time.Time, err error) {
	if len(token) > maxTokenLen {
		return "", time.Time{}, errMalformedToken
	}
	p64, m64, ok := strings.Cut(token, ".")
	if !ok || strings.Contains(m64, ".") {
		return "", time.Time{}, errMalformedToken
	}
	payload, err := b64.DecodeString(p64)
	if err != nil || len(payload) < 8+1 || len(payload) > 8+MaxFileRefBytes {
		return "", time.Time{}, errMalformedToken
	}
	mac, err := b64.DecodeString(m64)
	if err != nil || len(mac) != sha256.Size {
		return "", time.Time{}, errMalformedToken
	}
	if !hmac.Equal(mac, l.mac(payload)) {
		return "", time.Time{}, errBadSignature
	}
	unix := binary.BigEndian.Uint64(payload[:8])
	if unix > 1<<62 {
		return "", time.Time{}, errMalformedToken // we never sign such a time
	}
	return string(payload[8:]), time.Unix(int64(unix), 0), nil
}

// SignLinks replaces the file references the mapping put in the link
// fields of a dossier (TaiLieuNop[].DuongDanTaiTepTin,
// DanhSachHoSoBoSung[].DanhSachGiayToBoSung[].DuongDanTaiTepTin,
// DanhSachGiayToKetQua[].DuongDanTepTinKetQua) with signed links valid
// from now. Empty fields and values that already are http(s) URLs (legacy
// software that publishes its own) are left alone, as are references
// longer than MaxFileRefBytes. It returns how many links it wrote.
func (l *Linker) SignLinks(p *packets.Packet, now time.Time) int {
	if p == nil || p.Dossier == nil {
		return 0
	}
	n := 0
	sign := func(field *string) {
		ref := *field
		if ref == "" || len(ref) > MaxFileRefBytes || isURL(ref) {
			return
		}
		*field = l.FileURL(ref, now)
		n++
	}
	d := p.Dossier
	for i := range d.TaiLieuNop {
		sign(&d.TaiLieuNop[i].DuongDanTaiTepTin)
	}
	for i := range d.DanhSachHoSoBoSung {
		docs := d.DanhSachHoSoBoSung[i].DanhSachGiayToBoSung
		for j := range docs {
			sign(&docs[j].DuongDanTaiTepTin)
		}
	}
	for i := range d.DanhSachGiayToKetQua {
		sign(&d.DanhSachGiayToKetQua[i].DuongDanTepTinKetQua)
	}
	return n
}

func isURL(s string) bool {
	lower := strings.ToLower(s)
	return strings.HasPrefix(lower, "https://") || strings.HasPrefix(lower, "http://")
}
