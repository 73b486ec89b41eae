package sandbox

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/hcmc-lgsp/lgsp-connector/packets"
)

// The national portal (DVCQG) reached through LGSP. This is deliberately
// minimal: the two sync services, behind the same gateway as the hcm-lgsp
// endpoints (token, faults), deduplicated by Idempotency-Key. The portal
// answers content problems with HTTP 200 and error_code -1
// (SPEC-dvcqg.md §1.4), and so does the sandbox.
//
// Extension point: a fuller emulation adds entries to
// defaultDVCQGServices — catalogue pulls (LayDanhMuc…), TraCuuHoSo,
// DongBoThongKeHoSo, DongBoDanhGia, the "đã tồn tại" (3/-3) answer to a
// create of a known dossier — each as a dvcqgService.

// dvcqgEnvelope is the request envelope of every service (SPEC-dvcqg.md §1.3).
type dvcqgEnvelope struct {
	Session    string            `json:"session,omitempty"`
	MaDonVi    string            `json:"madonvi"`
	Service    string            `json:"service"`
	IsUpdating *string           `json:"isUpdating,omitempty"`
	Type       string            `json:"type,omitempty"`
	Data       []json.RawMessage `json:"data"`
}

// dvcqgCall is one request to a service, already through the gateway.
type dvcqgCall struct {
	Key      string // Idempotency-Key (MaGoiTin)
	Envelope dvcqgEnvelope
	Body     []byte
	Now      time.Time
}

// dvcqgOutcome is a service's answer. With Store set the call is stored
// and deduplicated by Key and answered "accepted"/"duplicate"; otherwise
// Reply is sent as is (lookups). Problems set Rejection.
type dvcqgOutcome struct {
	Store     bool
	Kind      string // for stats; defaults to the service name
	MaHoSo    string
	Reply     map[string]any
	Rejection *rejection
}

// dvcqgService answers one national-portal service.
type dvcqgService func(s *Server, call *dvcqgCall) dvcqgOutcome

func defaultDVCQGServices() map[string]dvcqgService {
	return map[string]dvcqgService{
		"DongBoHoSoMC":        syncService(packets.KindDossier),
		"CapNhatTienDoHoSoMC": syncService(packets.KindProgress),
	}
}

// portalAgency is the Government Office (VPCP), the national portal's
// operator (SPEC-dvcqg.md §1.1); it stands in as the receiver when the
// sandbox validates items whose header does not travel in this profile.
const portalAgency = "000.00.00.G22"

// syncService accepts DongBoHoSoMC / CapNhatTienDoHoSoMC: every item of
// data must decode with the dvcqg profile and validate.
func syncService(kind packets.Kind) dvcqgService {
	return func(s *Server, call *dvcqgCall) dvcqgOutcome {
		env := call.Envelope
		if len(env.Data) == 0 {
			return dvcqgOutcome{Rejection: reject(http.StatusOK, countInvalid, "data trống / data is empty")}
		}
		var first string
		for i, item := range env.Data {
			p, err := s.decodeDVCQGItem(env, item)
			if err != nil {
				return dvcqgOutcome{Rejection: reject(http.StatusOK, countInvalid, "data[%d] không đọc được / cannot decode: %v", i, err)}
			}
			if p.Header.LoaiGoiTin != kind {
				return dvcqgOutcome{Rejection: reject(http.StatusOK, countInvalid, "data[%d] is a %s, not a %s", i, p.Header.LoaiGoiTin, kind)}
			}
			// The header does not travel in this profile; give Validate
			// what the transport knows so that it checks the body.
			p.Header.MaGoiTin = call.Key
			p.Header.PhienBan = packets.SchemaVersion
			p.Header.MaDonViNhan = portalAgency
			p.Header.ThoiGianTao = call.Now
			if _, err := packets.Validate(p, s.opts.Validate); err != nil {
				rej := reject(http.StatusOK, countInvalid, "data[%d] không hợp lệ / %v", i, err)
				var ve *packets.ValidationError
				if errors.As(err, &ve) {
					rej.issues = ve.Issues
				}
				return dvcqgOutcome{Rejection: rej}
			}
			if i == 0 {
				first = p.MaHoSo()
			}
		}
		return dvcqgOutcome{Store: true, Kind: env.Service, MaHoSo: first}
	}
}

// decodeDVCQGItem decodes one data item with the dvcqg profile, which
// reads envelopes of exactly one item.
func (s *Server) decodeDVCQGItem(env dvcqgEnvelope, item json.RawMessage) (*packets.Packet, error) {
	single := struct {
		MaDonVi    string            `json:"madonvi"`
		Service    string            `json:"service"`
		IsUpdating *string           `json:"isUpdating,omitempty"`
		Data       []json.RawMessage `json:"data"`
	}{env.MaDonVi, env.Service, env.IsUpdating, []json.RawMessage{item}}
	b, err := json.Marshal(single)
	if err != nil {
		return nil, err
	}
	return s.dvcqg.Decode(b)
}

func (s *Server) handleDVCQG(w http.ResponseWriter, r *http.Request) {
	f, ok := s.gateway(w, r)
	if !ok {
		return
	}
	name := r.PathValue("service")
	body, key, rej := s.readPacket(w, r, "application/json")
	if rej != nil {
		s.answerDVCQGRejection(w, key, rej)
		return
	}
	service, known := s.services[name]
	if !known {
		s.answerDVCQGRejection(w, key, reject(http.StatusNotFound, countInvalid,
			"dịch vụ %q không có trong sandbox / service not emulated (known: DongBoHoSoMC, CapNhatTienDoHoSoMC)", name))
		return
	}
	var env dvcqgEnvelope
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&env); err != nil {
		s.answerDVCQGRejection(w, key, reject(http.StatusOK, countInvalid, "envelope không đọc được / not a JSON envelope: %v", err))
		return
	}
	if env.Service != name {
		s.answerDVCQGRejection(w, key, reject(http.StatusOK, countInvalid,
			"service %q trong envelope khác địa chỉ / differs from the endpoint's service %q", env.Service, name))
		return
	}
	out := service(s, &dvcqgCall{Key: key, Envelope: env, Body: body, Now: s.now()})
	switch {
	case out.Rejection != nil:
		s.answerDVCQGRejection(w, key, out.Rejection)
		return
	case !out.Store:
		s.count(func(st *Stats) { st.Accepted++ })
		writeJSON(w, http.StatusOK, out.Reply)
		return
	}
	kind := out.Kind
	if kind == "" {
		kind = name
	}
	a := Accepted{MessageID: key, Profile: packets.ProfileDVCQG, Kind: kind, MaHoSo: out.MaHoSo, At: s.now()}
	s.accept(w, f, a, body, func(duplicate bool) (int, any) {
		if duplicate {
			return http.StatusOK, map[string]any{"error_code": 0, "message": "đã nhận trước đó / duplicate", "duplicate": true}
		}
		return http.StatusOK, map[string]any{"error_code": 0, "message": "thành công / accepted"}
	}, func(rej *rejection) { s.answerDVCQGRejection(w, key, rej) })
}

// answerDVCQGRejection writes a refusal in the portal's reply shape:
// numeric error_code -1.
func (s *Server) answerDVCQGRejection(w http.ResponseWriter, key string, rej *rejection) {
	s.count(func(st *Stats) { st.Rejected++; rej.counter(st) })
	s.log.Debug("sandbox rejected a dvcqg call", "message_id", key, "status", rej.status, "reason", rej.message)
	reply := map[string]any{"error_code": -1, "message": rej.message}
	if len(rej.issues) > 0 {
		reply["issues"] = issuesJSON(rej.issues)
	}
	writeJSON(w, rej.status, reply)
}
