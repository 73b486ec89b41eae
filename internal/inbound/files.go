package inbound

import (
	"errors"
	"io"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"
	"time"
	"unicode"

	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"

	"github.com/hcmc-lgsp/lgsp-connector/connectors"
)

// handleFile serves GET /files/{token}: the link's signature is the
// credential (the portal fetches links without its session), checked
// before anything else; then its expiry; then the file is streamed from
// the source, with byte ranges when the source can seek.
func (s *Server) handleFile(w http.ResponseWriter, r *http.Request) {
	call := callOf(r)
	call.caller = "link"
	if s.linker == nil {
		s.fail(w, r, http.StatusNotFound, http.StatusNotFound, "tải tệp chưa được bật / file links are not enabled")
		return
	}
	ref, expires, err := s.linker.parseToken(r.PathValue("token"))
	if err != nil {
		call.err = err.Error()
		s.fail(w, r, http.StatusForbidden, http.StatusForbidden, "đường dẫn tải tệp không hợp lệ / invalid download link")
		return
	}
	call.fileRef = ref
	if !s.now().Before(expires) {
		call.err = "link expired at " + expires.UTC().Format(time.RFC3339)
		s.fail(w, r, http.StatusGone, http.StatusGone, "đường dẫn tải tệp đã hết hạn; tra cứu lại hồ sơ để có đường dẫn mới / download link expired; look the dossier up again for a new one")
		return
	}
	if s.o.Files == nil {
		s.fail(w, r, http.StatusNotFound, http.StatusNotFound, "nguồn dữ liệu không phục vụ tệp / the source serves no files")
		return
	}
	if !acquire(r.Context(), s.downloads) {
		s.fail(w, r, http.StatusServiceUnavailable, http.StatusServiceUnavailable, "hệ thống đang bận, thử lại sau / busy, try again later")
		return
	}
	defer release(s.downloads)

	rc, info, err := s.o.Files.OpenFile(r.Context(), ref)
	switch {
	case errors.Is(err, connectors.ErrFileNotFound):
		call.err = err.Error()
		s.fail(w, r, http.StatusNotFound, http.StatusNotFound, "không tìm thấy tệp / file not found")
		return
	case errors.Is(err, connectors.ErrFileRejected):
		call.err = err.Error()
		// A signed reference whose stored path leaves the file store: the
		// legacy data (or someone editing it) is wrong; tell the operator.
		s.log.Warn("inbound download refused: the file's stored location is not allowed", "file_ref", ref, "err", err)
		s.fail(w, r, http.StatusForbidden, http.StatusForbidden, "tệp không được phép tải / file may not be downloaded")
		return
	case errors.Is(err, connectors.ErrAmbiguous):
		call.err = err.Error()
		s.fail(w, r, http.StatusConflict, http.StatusConflict, "tham chiếu tệp trùng / several files have this reference")
		return
	case err != nil:
		call.err = err.Error()
		s.log.Warn("inbound download failed", "file_ref", ref, "err", err)
		s.fail(w, r, http.StatusServiceUnavailable, http.StatusServiceUnavailable, "không đọc được tệp / the file could not be read")
		return
	}
	defer rc.Close()

	h := w.Header()
	ctype := info.ContentType
	if ctype == "" || !mediaTypeOK(ctype) {
		ctype = "application/octet-stream"
	}
	h.Set("Content-Type", ctype)
	h.Set("Content-Disposition", contentDisposition(info.Name))
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	h.Set("Cache-Control", "private, no-store")
	out := &progressWriter{ResponseWriter: w, rc: http.NewResponseController(w), idle: s.o.WriteIdleTimeout}
	out.extend()
	if rs, ok := rc.(io.ReadSeeker); ok && info.Size >= 0 {
		// ServeContent handles Range, If-Range and HEAD, and sets
		// Content-Length; an empty name keeps it from guessing the type.
		http.ServeContent(out, r, "", time.Time{}, rs)
	} else {
		h.Set("Accept-Ranges", "none")
		if info.Size >= 0 {
			h.Set("Content-Length", strconv.FormatInt(info.Size, 10))
		}
		out.WriteHeader(http.StatusOK)
		if r.Method != http.MethodHead {
			if _, err := io.Copy(out, rc); err != nil {
				call.err = "download interrupted: " + err.Error()
			}
		}
	}
	if out.err != nil && call.err == "" {
		call.err = "download interrupted: " + out.err.Error()
	}
}

// progressWriter moves the connection's write deadline forward on every
// write: a download may take long, but one that stalls for idle is cut,
// so a client that stops reading cannot hold a slot for ever.
type progressWriter struct {
	http.ResponseWriter
	rc   *http.ResponseController
	idle time.Duration
	err  error
}

func (p *progressWriter) extend() { _ = p.rc.SetWriteDeadline(time.Now().Add(p.idle)) }

func (p *progressWriter) Write(b []byte) (int, error) {
	p.extend()
	n, err := p.ResponseWriter.Write(b)
	if err != nil && p.err == nil {
		p.err = err
	}
	return n, err
}

// contentDisposition offers the file as an attachment under its name:
// filename= with an ASCII fallback (Vietnamese letters without their
// marks) for old clients, filename*= with the UTF-8 name (RFC 5987, 6266).
func contentDisposition(name string) string {
	name = strings.TrimSpace(path.Base(strings.ReplaceAll(name, `\`, "/")))
	if name == "" || name == "." || name == "/" {
		name = "tep-dinh-kem"
	}
	return "attachment; filename=\"" + asciiName(name) + "\"; filename*=UTF-8''" + rfc5987(name)
}

// stripMarks removes combining marks after decomposition: "Tờ khai" →
// "To khai".
var stripMarks = transform.Chain(norm.NFD, runes.Remove(runes.In(unicode.Mn)), norm.NFC)

func asciiName(name string) string {
	plain, _, err := transform.String(stripMarks, name)
	if err != nil {
		plain = name
	}
	var b strings.Builder
	for _, r := range plain {
		switch {
		case r == 'đ':
			b.WriteByte('d')
		case r == 'Đ':
			b.WriteByte('D')
		case r < 0x80 && (unicode.IsLetter(r) || unicode.IsDigit(r) || strings.ContainsRune(" ._-()+,", r)):
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	return b.String()
}

// rfc5987 percent-encodes everything but attr-char.
func rfc5987(s string) string {
	const attrChar = "!#$&+-.^_`|~"
	var b strings.Builder
	for _, c := range []byte(s) {
		if c < 0x80 && (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte(attrChar, c) >= 0) {
			b.WriteByte(c)
			continue
		}
		b.WriteString("%" + strings.ToUpper(strconv.FormatInt(int64(c)|0x100, 16)[1:]))
	}
	return b.String()
}

// mediaTypeOK reports whether ct parses as a media type.
func mediaTypeOK(ct string) bool {
	_, _, err := mime.ParseMediaType(ct)
	return err == nil
}
