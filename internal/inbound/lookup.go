package inbound

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/hcmc-lgsp/lgsp-connector/connectors"
	"github.com/hcmc-lgsp/lgsp-connector/mapping"
	"github.com/hcmc-lgsp/lgsp-connector/packets"
)

// maxMaHoSoRunes bounds a dossier code in a request; real codes have
// about 25 characters.
const maxMaHoSoRunes = 100

// lookupRequest is the body of POST /dvcqg/TraCuuHoSo: the national
// portal's envelope ({session, madonvi, service, mahoso}); MaHoSo and
// maHoSo are accepted as spellings of mahoso. Other keys are ignored.
type lookupRequest struct {
	MaHoSo  string
	Service string
}

var errBadRequest = errors.New("bad request")

// parseLookupRequest reads the request body. It accepts exactly one JSON
// object whose code key, in one of its spellings, is a string.
func parseLookupRequest(body []byte) (lookupRequest, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	var raw map[string]json.RawMessage
	if err := dec.Decode(&raw); err != nil || raw == nil {
		return lookupRequest{}, errBadRequest
	}
	if _, err := dec.Token(); err != io.EOF {
		return lookupRequest{}, errBadRequest // trailing data
	}
	var req lookupRequest
	found := 0
	for _, key := range []string{"mahoso", "MaHoSo", "maHoSo"} {
		v, ok := raw[key]
		if !ok {
			continue
		}
		found++
		if err := json.Unmarshal(v, &req.MaHoSo); err != nil {
			return lookupRequest{}, errBadRequest
		}
	}
	if found != 1 {
		return lookupRequest{}, errBadRequest
	}
	if v, ok := raw["service"]; ok {
		if err := json.Unmarshal(v, &req.Service); err != nil {
			return lookupRequest{}, errBadRequest
		}
	}
	req.MaHoSo = strings.TrimSpace(req.MaHoSo)
	if !validCode(req.MaHoSo) {
		return lookupRequest{}, errBadRequest
	}
	return req, nil
}

// validCode accepts what could be a dossier code, including legacy codes
// that break the Circular 01/2018 format: printable, no spaces at the
// ends, at most maxMaHoSoRunes characters.
func validCode(s string) bool {
	if s == "" || !utf8.ValidString(s) || utf8.RuneCountInString(s) > maxMaHoSoRunes {
		return false
	}
	for _, r := range s {
		if !unicode.IsPrint(r) {
			return false
		}
	}
	return true
}

const (
	msgBadLookup = "cần một đối tượng JSON có mahoso (mã hồ sơ) / a JSON object with mahoso (the dossier code) is required"
	msgBadCode   = "mã hồ sơ không hợp lệ / invalid dossier code"
	msgTooLarge  = "yêu cầu quá lớn / request body too large"
	msgNotFound  = "không tìm thấy hồ sơ / dossier not found"
)

func (s *Server) handleTraCuuHoSo(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.o.MaxBodyBytes))
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		s.fail(w, r, http.StatusRequestEntityTooLarge, http.StatusRequestEntityTooLarge, msgTooLarge)
		return
	case err != nil:
		s.fail(w, r, http.StatusBadRequest, http.StatusBadRequest, msgBadLookup)
		return
	}
	req, err := parseLookupRequest(body)
	if err != nil {
		s.fail(w, r, http.StatusBadRequest, http.StatusBadRequest, msgBadLookup)
		return
	}
	if req.Service != "" && req.Service != "TraCuuHoSo" {
		s.fail(w, r, http.StatusBadRequest, http.StatusBadRequest, "service phải là TraCuuHoSo / service must be TraCuuHoSo")
		return
	}
	s.lookup(w, r, req.MaHoSo, false)
}

func (s *Server) handleGetHoSo(w http.ResponseWriter, r *http.Request) {
	code := r.PathValue("MaHoSo")
	if !validCode(code) || strings.TrimSpace(code) != code {
		s.fail(w, r, http.StatusBadRequest, http.StatusBadRequest, msgBadCode)
		return
	}
	s.lookup(w, r, code, true)
}

// lookup answers with the dossier maHoSo names. Outcomes a caller acts on
// (found, not found, ambiguous, unmappable) are error codes in the body;
// the REST form (rest) also uses them as the HTTP status, the portal's
// envelope form answers them with HTTP 200.
func (s *Server) lookup(w http.ResponseWriter, r *http.Request, maHoSo string, rest bool) {
	call := callOf(r)
	call.maHoSo = maHoSo
	business := func(code int) int {
		if rest {
			return code
		}
		return http.StatusOK
	}
	if s.o.Lookuper == nil {
		s.fail(w, r, http.StatusServiceUnavailable, http.StatusServiceUnavailable, "nguồn dữ liệu không hỗ trợ tra cứu / the source cannot look dossiers up")
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), s.o.RequestTimeout)
	defer cancel()
	if !acquire(ctx, s.lookups) {
		s.fail(w, r, http.StatusServiceUnavailable, http.StatusServiceUnavailable, "hệ thống đang bận, thử lại sau / busy, try again later")
		return
	}
	defer release(s.lookups)

	rec, found, err := s.o.Lookuper.Lookup(ctx, s.o.Stream, maHoSo)
	switch {
	case errors.Is(err, connectors.ErrAmbiguous):
		call.err = "several legacy rows have this MaHoSo"
		s.log.Warn("inbound lookup: dossier code is not unique in the legacy database", "ma_ho_so", maHoSo, "err", err)
		s.fail(w, r, business(http.StatusConflict), http.StatusConflict, "mã hồ sơ trùng trong CSDL nghiệp vụ / several dossiers have this code")
		return
	case err != nil:
		call.err = "legacy database: " + err.Error()
		s.log.Warn("inbound lookup failed", "ma_ho_so", maHoSo, "err", err)
		s.fail(w, r, http.StatusServiceUnavailable, http.StatusServiceUnavailable, "CSDL nghiệp vụ không trả lời / the legacy database did not answer")
		return
	case !found:
		s.fail(w, r, business(http.StatusNotFound), http.StatusNotFound, msgNotFound)
		return
	}
	if re := connectors.RecordErrorOf(rec); re != nil {
		s.unmappable(w, r, business, "legacy row unreadable: "+re.Field+": "+re.Reason)
		return
	}
	p, _, err := s.o.Mapper.Map(s.o.Stream, rec.Key, rec.Values)
	if err != nil {
		s.unmappable(w, r, business, "mapping: "+maskedError(err))
		return
	}
	if p == nil || p.Dossier == nil {
		call.err = "stream " + s.o.Stream + " is not mapped to HoSo"
		s.log.Error("inbound lookup: the lookup stream's mapping does not produce HoSo packets; set inbound.stream", "stream", s.o.Stream)
		s.fail(w, r, http.StatusInternalServerError, http.StatusInternalServerError, "lỗi cấu hình / configuration error")
		return
	}
	s.SignLinks(p, s.now())
	item, err := packets.EncodeDVCQGItem(p)
	if err != nil {
		s.unmappable(w, r, business, "encode: "+err.Error())
		return
	}
	writeJSON(w, http.StatusOK, envelope{Message: msgOK, Result: []json.RawMessage{item}})
}

func (s *Server) unmappable(w http.ResponseWriter, r *http.Request, business func(int) int, why string) {
	call := callOf(r)
	call.err = why
	s.log.Warn("inbound lookup: dossier cannot be represented", "ma_ho_so", call.maHoSo, "reason", why)
	s.fail(w, r, business(http.StatusUnprocessableEntity), http.StatusUnprocessableEntity,
		"hồ sơ có dữ liệu không chuyển đổi được; đơn vị đã được báo / the dossier's data cannot be converted; the unit has been told")
}

// maskedError renders a mapping error with personal values hidden.
func maskedError(err error) string {
	var me *mapping.Error
	if errors.As(err, &me) {
		return me.Masked().Error()
	}
	return "the record could not be mapped"
}

func acquire(ctx context.Context, slots chan struct{}) bool {
	select {
	case slots <- struct{}{}:
		return true
	case <-ctx.Done():
		return false
	}
}

func release(slots chan struct{}) { <-slots }
