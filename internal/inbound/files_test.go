package inbound

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hcmc-lgsp/lgsp-connector/connectors"
	"github.com/hcmc-lgsp/lgsp-connector/internal/outbox"
	"github.com/hcmc-lgsp/lgsp-connector/packets"
)

// path of a link, for requests to the test server.
func linkPath(link string) string { return strings.TrimPrefix(link, testBaseURL) }

// A link streams its file with type, length and the name in both
// Content-Disposition forms; ranges and HEAD work; the link needs no
// bearer token.
func TestFileLink(t *testing.T) {
	e := newEnv(t, nil)
	link := e.srv.FileURL("501", t0)
	if !strings.HasPrefix(link, testBaseURL+"/files/") {
		t.Fatalf("FileURL = %q", link)
	}
	a := e.do(t, "GET", linkPath(link), "", "")
	if a.status != 200 || string(a.body) != tepKhai {
		t.Fatalf("status %d body %q", a.status, a.body)
	}
	for k, want := range map[string]string{
		"Content-Type":           "application/pdf",
		"Content-Length":         strconv.Itoa(len(tepKhai)),
		"Content-Disposition":    `attachment; filename="To khai dang ky khai sinh.pdf"; filename*=UTF-8''T%E1%BB%9D%20khai%20%C4%91%C4%83ng%20k%C3%BD%20khai%20sinh.pdf`,
		"X-Content-Type-Options": "nosniff",
		"Accept-Ranges":          "bytes",
	} {
		if got := a.header.Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}

	r := e.do(t, "GET", linkPath(link), "", "", "Range", "bytes=4-8")
	if r.status != http.StatusPartialContent || string(r.body) != tepKhai[4:9] || r.header.Get("Content-Range") != fmt.Sprintf("bytes 4-8/%d", len(tepKhai)) {
		t.Errorf("range: status %d body %q Content-Range %q", r.status, r.body, r.header.Get("Content-Range"))
	}
	h := e.do(t, "HEAD", linkPath(link), "", "")
	if h.status != 200 || len(h.body) != 0 || h.header.Get("Content-Length") != strconv.Itoa(len(tepKhai)) {
		t.Errorf("HEAD: status %d, %d body bytes, length %q", h.status, len(h.body), h.header.Get("Content-Length"))
	}
	// No type known: application/octet-stream, and the name keeps no
	// extension it does not have.
	g := e.do(t, "GET", linkPath(e.srv.FileURL("502", t0)), "", "")
	if g.status != 200 || g.header.Get("Content-Type") != "application/octet-stream" ||
		g.header.Get("Content-Disposition") != `attachment; filename="Giay chung sinh"; filename*=UTF-8''Gi%E1%BA%A5y%20ch%E1%BB%A9ng%20sinh` {
		t.Errorf("502: %d %q %q", g.status, g.header.Get("Content-Type"), g.header.Get("Content-Disposition"))
	}
}

// A link works until its expiry and answers 410 after; a link changed in
// any way answers 403 before the file source is asked anything.
func TestFileLinkExpiryAndTampering(t *testing.T) {
	e := newEnv(t, nil)
	link := linkPath(e.srv.FileURL("501", t0))

	e.clock.Advance(time.Hour - time.Second)
	if a := e.do(t, "GET", link, "", ""); a.status != 200 {
		t.Errorf("one second before expiry: %d", a.status)
	}
	e.clock.Advance(time.Second)
	if a := e.do(t, "GET", link, "", ""); a.status != http.StatusGone || a.env.ErrorCode != 410 {
		t.Errorf("at expiry: %d %s", a.status, a.body)
	}
	opened := len(e.files.opens)

	token := strings.TrimPrefix(link, "/files/")
	p64, m64, _ := strings.Cut(token, ".")
	payload, _ := base64.RawURLEncoding.DecodeString(p64)
	// Move the expiry a day later, keep the MAC: forged.
	later := append([]byte(nil), payload...)
	binary.BigEndian.PutUint64(later, binary.BigEndian.Uint64(later)+86400)
	// Point at another file, keep the MAC: forged.
	other := append(append([]byte(nil), payload[:8]...), "502"...)
	flip := []byte(m64)
	flip[0] ^= 1
	for name, bad := range map[string]string{
		"later expiry":      base64.RawURLEncoding.EncodeToString(later) + "." + m64,
		"other file":        base64.RawURLEncoding.EncodeToString(other) + "." + m64,
		"mac flipped":       p64 + "." + string(flip),
		"mac cut":           p64 + "." + m64[:20],
		"no mac":            p64,
		"two dots":          token + ".x",
		"signed elsewhere":  strings.TrimPrefix(mustLinker(t, []byte("another-secret-0123456789-abcdefghij")).FileURL("501", t0), testBaseURL+"/files/"),
		"padding":           p64 + "=." + m64,
		"traversal encoded": "..%2F..%2Fetc%2Fpasswd",
		"huge":              strings.Repeat("A", 5000) + "." + m64,
	} {
		t.Run(name, func(t *testing.T) {
			a := e.do(t, "GET", "/files/"+bad, "", "")
			if a.status != http.StatusForbidden || a.env.ErrorCode != 403 {
				t.Errorf("status %d (%s), want 403", a.status, a.body)
			}
		})
	}
	if len(e.files.opens) != opened {
		t.Errorf("the file source was asked for %v by expired or forged links", e.files.opens[opened:])
	}
}

func mustLinker(t *testing.T, key []byte) *Linker {
	l, err := NewLinker(testBaseURL, key, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// Paths that try to leave /files/{token} never reach a file: the router
// cleans them (a redirect to a path that does not exist) or the token
// check refuses them; a signed reference whose stored location is
// refused by the source answers 403, an unknown one 404.
func TestFilePathTraversal(t *testing.T) {
	e := newEnv(t, nil)
	for _, path := range []string{"/files/..", "/files/../../etc/passwd", "/files/./../dvcqg/TraCuuHoSo", "/files//etc/passwd", "/files/a/../../../etc/passwd"} {
		a := e.do(t, "GET", path, "", "")
		if a.status == http.StatusOK || strings.Contains(string(a.body), "root:") {
			t.Errorf("GET %s: %d %q", path, a.status, a.body)
		}
	}
	if a := e.do(t, "GET", linkPath(e.srv.FileURL("outside", t0)), "", ""); a.status != 403 || a.env.ErrorCode != 403 {
		t.Errorf("refused location: %d %s", a.status, a.body)
	}
	if a := e.do(t, "GET", linkPath(e.srv.FileURL("../../etc/passwd", t0)), "", ""); a.status != 404 {
		t.Errorf("signed unknown reference: %d %s", a.status, a.body)
	}
	if len(e.files.opens) != 2 {
		t.Errorf("file source asked for %q; want only the two signed references", e.files.opens)
	}
}

// A 50 MB file streams: the source's reader is never asked for more than
// 64 KiB at once, and it stops after producing 8 MiB until the client has
// received 4 MiB — a server that buffered the file before answering would
// never get there. Heap growth during the download stays far below the
// file's size. Both the plain and the seekable (range-capable) path.
func TestLargeFileStreamsWithBoundedMemory(t *testing.T) {
	const size = 50 << 20
	want := sha256.New()
	for off := int64(0); off < size; {
		buf := make([]byte, min(1<<20, size-off))
		for i := range buf {
			buf[i] = patternByte(off + int64(i))
		}
		want.Write(buf)
		off += int64(len(buf))
	}
	wantSum := want.Sum(nil)

	for _, seekable := range []bool{false, true} {
		t.Run(fmt.Sprintf("seekable=%v", seekable), func(t *testing.T) {
			e := newEnv(t, nil)
			gate := make(chan struct{})
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			e.files.files["big"] = func(context.Context) (io.ReadCloser, connectors.FileInfo) {
				pr := &patternReader{n: size, maxRead: 64 << 10, gateAt: 8 << 20, gate: gate, ctx: ctx}
				info := connectors.FileInfo{Name: "ho-so-scan.pdf", Size: size, ContentType: "application/pdf"}
				if seekable {
					return seekablePattern{pr}, info
				}
				return pr, info
			}
			req, _ := http.NewRequestWithContext(ctx, "GET", e.base+linkPath(e.srv.FileURL("big", t0)), nil)
			runtime.GC()
			var before runtime.MemStats
			runtime.ReadMemStats(&before)
			resp, err := e.client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if resp.StatusCode != 200 || resp.ContentLength != size {
				t.Fatalf("status %d, length %d", resp.StatusCode, resp.ContentLength)
			}
			h := sha256.New()
			if _, err := io.CopyN(h, resp.Body, 4<<20); err != nil {
				t.Fatalf("first 4 MiB: %v", err)
			}
			close(gate) // the source may go on only now
			var peak uint64
			buf := make([]byte, 256<<10)
			n := int64(4 << 20)
			for {
				k, err := resp.Body.Read(buf)
				h.Write(buf[:k])
				n += int64(k)
				if n%(8<<20) < int64(k) {
					var m runtime.MemStats
					runtime.ReadMemStats(&m)
					peak = max(peak, m.HeapInuse)
				}
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatalf("after %d bytes: %v", n, err)
				}
			}
			if n != size || string(h.Sum(nil)) != string(wantSum) {
				t.Fatalf("received %d bytes, content differs: %v", n, string(h.Sum(nil)) != string(wantSum))
			}
			if growth := int64(peak) - int64(before.HeapInuse); growth > 16<<20 {
				t.Errorf("heap grew by %d MiB while streaming a 50 MiB file", growth>>20)
			}
		})
	}
}

// SignLinks rewrites references in every link field, leaves URLs, empty
// fields and oversized references alone.
func TestSignLinks(t *testing.T) {
	l := mustLinker(t, testLinkSecret)
	long := strings.Repeat("x", MaxFileRefBytes+1)
	p := &packets.Packet{Dossier: &packets.Dossier{
		TaiLieuNop:           []packets.SubmittedDocument{{DuongDanTaiTepTin: "501"}, {DuongDanTaiTepTin: ""}, {DuongDanTaiTepTin: "HTTPS://cdn.example.vn/a.pdf"}, {DuongDanTaiTepTin: long}},
		DanhSachHoSoBoSung:   []packets.Supplement{{DanhSachGiayToBoSung: []packets.SubmittedDocument{{DuongDanTaiTepTin: "bs-1"}}}},
		DanhSachGiayToKetQua: []packets.ResultDocument{{DuongDanTepTinKetQua: "kq-1"}},
	}}
	if n := l.SignLinks(p, t0); n != 3 {
		t.Errorf("SignLinks = %d, want 3", n)
	}
	d := p.Dossier
	for _, tc := range []struct{ got, ref string }{
		{d.TaiLieuNop[0].DuongDanTaiTepTin, "501"},
		{d.DanhSachHoSoBoSung[0].DanhSachGiayToBoSung[0].DuongDanTaiTepTin, "bs-1"},
		{d.DanhSachGiayToKetQua[0].DuongDanTepTinKetQua, "kq-1"},
	} {
		ref, exp, err := l.parseToken(strings.TrimPrefix(tc.got, testBaseURL+"/files/"))
		if err != nil || ref != tc.ref || !exp.Equal(t0.Add(time.Hour)) {
			t.Errorf("link %q carries %q until %v (%v); want %q until %v", tc.got, ref, exp, err, tc.ref, t0.Add(time.Hour))
		}
	}
	if d.TaiLieuNop[1].DuongDanTaiTepTin != "" || d.TaiLieuNop[2].DuongDanTaiTepTin != "HTTPS://cdn.example.vn/a.pdf" || d.TaiLieuNop[3].DuongDanTaiTepTin != long {
		t.Errorf("fields that are not references changed: %+v", d.TaiLieuNop[1:])
	}
	if l.SignLinks(nil, t0) != 0 || l.SignLinks(&packets.Packet{}, t0) != 0 {
		t.Error("SignLinks on a packet without dossier rewrote something")
	}
}

func TestContentDisposition(t *testing.T) {
	for _, tc := range []struct{ name, want string }{
		{"a.pdf", `attachment; filename="a.pdf"; filename*=UTF-8''a.pdf`},
		{"Đơn đề nghị (bản sao).docx", `attachment; filename="Don de nghi (ban sao).docx"; filename*=UTF-8''%C4%90%C6%A1n%20%C4%91%E1%BB%81%20ngh%E1%BB%8B%20%28b%E1%BA%A3n%20sao%29.docx`},
		{"x\"\r\n; y.pdf", `attachment; filename="x____ y.pdf"; filename*=UTF-8''x%22%0D%0A%3B%20y.pdf`},
		{`C:\Upload\Quyết định.pdf`, `attachment; filename="Quyet dinh.pdf"; filename*=UTF-8''Quy%E1%BA%BFt%20%C4%91%E1%BB%8Bnh.pdf`},
		{"../../etc/passwd", `attachment; filename="passwd"; filename*=UTF-8''passwd`},
		{"", `attachment; filename="tep-dinh-kem"; filename*=UTF-8''tep-dinh-kem`},
	} {
		if got := contentDisposition(tc.name); got != tc.want {
			t.Errorf("contentDisposition(%q) = %s\nwant %s", tc.name, got, tc.want)
		}
	}
}

// A client that stops reading is cut off after the write idle timeout:
// the download ends, its slot is freed, and the log says it was
// interrupted.
func TestStalledDownloadIsCut(t *testing.T) {
	const size = 50 << 20
	e := newEnv(t, func(o *Options) { o.WriteIdleTimeout = 200 * time.Millisecond; o.MaxConcurrent = 1 })
	e.files.files["big"] = func(context.Context) (io.ReadCloser, connectors.FileInfo) {
		return &patternReader{n: size}, connectors.FileInfo{Name: "big.bin", Size: size}
	}
	resp, err := e.client.Get(e.base + linkPath(e.srv.FileURL("big", t0)))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	// Read nothing more: the server's writes block once the socket
	// buffers are full, and the idle timeout fires.
	e.waitLogged(t, 1)
	calls, err := e.store.Inbound(context.Background(), outbox.Filter{})
	if err != nil || len(calls) != 1 {
		t.Fatalf("calls %+v, %v", calls, err)
	}
	if c := calls[0]; !strings.Contains(c.Error, "interrupted") || c.BytesOut >= size || c.FileRef != "big" {
		t.Errorf("stalled download recorded as %+v", c)
	}
	// The single download slot is free again.
	if a := e.do(t, "GET", linkPath(e.srv.FileURL("501", t0)), "", ""); a.status != 200 {
		t.Errorf("next download: %d", a.status)
	}
}
