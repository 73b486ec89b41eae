package sandbox

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/hcmc-lgsp/lgsp-connector/packets"
)

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+TokenPath, s.handleToken)
	for _, e := range s.sortedEndpoints() {
		mux.HandleFunc("POST "+e.path, s.handleHCMPacket(e.kind))
	}
	mux.HandleFunc("POST "+DVCQGPrefix+"{service}", s.handleDVCQG)
	s.portalRoutes(mux)
	s.catalogRoutes(mux)
	mux.HandleFunc("GET /sandbox/stats", s.admin(s.handleStats))
	mux.HandleFunc("GET /sandbox/packets", s.admin(s.handleList))
	mux.HandleFunc("GET /sandbox/packets/{id}", s.admin(s.handlePacketBytes))
	mux.HandleFunc("GET /sandbox/faults", s.admin(s.handleGetFaults))
	mux.HandleFunc("POST /sandbox/faults", s.admin(s.handleSetFaults))
	return mux
}

// writeJSON answers with v as JSON.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

// wso2Fault is the JSON fault body of a WSO2 API Manager gateway.
func wso2Fault(code int, message, description string) map[string]any {
	return map[string]any{"fault": map[string]any{"code": code, "message": message, "description": description}}
}

// ---- token endpoint ----

func (s *Server) handleToken(w http.ResponseWriter, r *http.Request) {
	if s.inOutage(s.now()) {
		s.count(func(st *Stats) { st.TokenFailures++ })
		writeJSON(w, http.StatusServiceUnavailable, wso2Fault(101503, "Runtime Error", "Error connecting to the back end (sandbox outage)"))
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		s.tokenFailure(w, http.StatusBadRequest, "invalid_request", "the body must be an application/x-www-form-urlencoded form")
		return
	}
	if gt := r.PostForm.Get("grant_type"); gt != "client_credentials" {
		s.tokenFailure(w, http.StatusBadRequest, "unsupported_grant_type", fmt.Sprintf("grant_type %q: only client_credentials is supported", gt))
		return
	}
	id, secret, basic := r.BasicAuth()
	if !basic {
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	idOK := subtle.ConstantTimeCompare([]byte(id), []byte(s.opts.ClientID)) == 1
	secretOK := subtle.ConstantTimeCompare([]byte(secret), []byte(s.opts.ClientSecret)) == 1
	if !idOK || !secretOK {
		w.Header().Set("WWW-Authenticate", `Basic realm="LGSP sandbox"`)
		s.tokenFailure(w, http.StatusUnauthorized, "invalid_client", "Client Authentication failed.")
		return
	}
	var raw [32]byte
	if _, err := rand.Read(raw[:]); err != nil {
		s.tokenFailure(w, http.StatusInternalServerError, "server_error", "no randomness for a token")
		return
	}
	token := hex.EncodeToString(raw[:])
	now := s.now()
	s.mu.Lock()
	if len(s.tokens) >= 1024 {
		for t, exp := range s.tokens {
			if !now.Before(exp) {
				delete(s.tokens, t)
			}
		}
	}
	s.tokens[token] = now.Add(s.opts.TokenTTL)
	s.stats.TokensIssued++
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{
		"access_token": token,
		"token_type":   "Bearer",
		"expires_in":   int64((s.opts.TokenTTL + time.Second - 1) / time.Second),
		"scope":        "default",
	})
}

func (s *Server) tokenFailure(w http.ResponseWriter, status int, code, description string) {
	s.count(func(st *Stats) { st.TokenFailures++ })
	writeJSON(w, status, map[string]string{"error": code, "error_description": description})
}

// validToken reports whether the request carries an unexpired access token.
func (s *Server) validToken(r *http.Request) (present, valid bool) {
	auth := r.Header.Get("Authorization")
	if auth == "" {
		return false, false
	}
	scheme, token, ok := strings.Cut(auth, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return true, false
	}
	s.mu.Lock()
	exp, known := s.tokens[strings.TrimSpace(token)]
	s.mu.Unlock()
	return true, known && s.now().Before(exp)
}

// ---- the gateway in front of every packet endpoint ----

// gateway does what the WSO2 gateway does before a backend sees a packet
// request: outages, latency, the token check, throttling and backend
// failures (injected). It returns false when it has already answered.
func (s *Server) gateway(w http.ResponseWriter, r *http.Request) (fate, bool) {
	s.count(func(st *Stats) { st.Received++ })
	if s.inOutage(s.now()) {
		s.count(func(st *Stats) { st.Outage++ })
		writeJSON(w, http.StatusServiceUnavailable, wso2Fault(101503, "Runtime Error", "Error connecting to the back end (sandbox outage)"))
		return fate{}, false
	}
	f := s.drawFate()
	if f.delay > 0 {
		t := time.NewTimer(f.delay)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
		}
	}
	if present, valid := s.validToken(r); !valid {
		s.count(func(st *Stats) { st.Rejected++; st.Unauthorized++ })
		w.Header().Set("WWW-Authenticate", `Bearer realm="LGSP sandbox", error="invalid_token"`)
		if !present {
			writeJSON(w, http.StatusUnauthorized, wso2Fault(900902, "Missing Credentials",
				"Invalid Credentials. Make sure your API invocation call has a header: 'Authorization : Bearer ACCESS_TOKEN'"))
		} else {
			writeJSON(w, http.StatusUnauthorized, wso2Fault(900901, "Invalid Credentials",
				"Access failure for API: the access token is unknown or expired. Make sure you have provided the correct security credentials"))
		}
		return fate{}, false
	}
	if f.throttle {
		s.count(func(st *Stats) { st.Injected429++ })
		secs := int64((f.retryAfter + time.Second - 1) / time.Second)
		w.Header().Set("Retry-After", strconv.FormatInt(secs, 10))
		writeJSON(w, http.StatusTooManyRequests, wso2Fault(900801, "Hard limit exceeded",
			"Hard throttle limit has been reached (sandbox: injected)"))
		return fate{}, false
	}
	if f.fail != 0 {
		s.count(func(st *Stats) { st.Injected5xx++ })
		writeJSON(w, f.fail, wso2Fault(101500+f.fail%100, http.StatusText(f.fail), "sandbox: injected backend failure; the packet was not processed"))
		return fate{}, false
	}
	return f, true
}

// rejection is a refused packet: the HTTP status, the counter to bump and
// the message for the sender (Vietnamese / English).
type rejection struct {
	aborted bool // the body never fully arrived; not a refusal of the packet
	status  int
	counter func(*Stats)
	message string
	issues  []packets.Issue
}

func reject(status int, counter func(*Stats), format string, args ...any) *rejection {
	return &rejection{status: status, counter: counter, message: fmt.Sprintf(format, args...)}
}

func countInvalid(st *Stats)   { st.Invalid++ }
func countAborted(st *Stats)   { st.Aborted++ }
func countSignature(st *Stats) { st.InvalidSignature++ }
func countNothing(*Stats)      {}

// readPacket reads the body and checks the request's packet headers.
func (s *Server) readPacket(w http.ResponseWriter, r *http.Request, wantTypes ...string) ([]byte, string, *rejection) {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	okType := false
	for _, t := range wantTypes {
		okType = okType || (err == nil && mt == t)
	}
	if !okType {
		return nil, "", reject(http.StatusUnsupportedMediaType, countInvalid,
			"Content-Type %q không được hỗ trợ / not supported: want %s", r.Header.Get("Content-Type"), strings.Join(wantTypes, " or "))
	}
	r.Body = http.MaxBytesReader(w, r.Body, s.opts.MaxBodyBytes)
	body, err := io.ReadAll(r.Body)
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, "", reject(http.StatusRequestEntityTooLarge, countInvalid,
				"gói tin quá lớn / packet too large: more than %d bytes", s.opts.MaxBodyBytes)
		}
		// The client went away mid-body (a killed connector): nobody will
		// read the answer, and nothing about the packet is wrong.
		rej := reject(http.StatusBadRequest, countAborted, "không đọc được nội dung / cannot read body: %v", err)
		rej.aborted = true
		return nil, "", rej
	}
	key := r.Header.Get("Idempotency-Key")
	switch {
	case key == "":
		return nil, "", reject(http.StatusBadRequest, countInvalid,
			"thiếu Idempotency-Key / missing Idempotency-Key header: send the packet's MaGoiTin on every attempt")
	case !safeID.MatchString(key):
		return nil, "", reject(http.StatusBadRequest, countInvalid,
			"Idempotency-Key %q không hợp lệ / invalid: want the packet's MaGoiTin (a UUID)", key)
	}
	return body, key, nil
}

// answerRejection writes a refusal in the hcm-lgsp reply shape.
func (s *Server) answerRejection(w http.ResponseWriter, key string, rej *rejection) {
	s.count(func(st *Stats) {
		if !rej.aborted {
			st.Rejected++
		}
		rej.counter(st)
	})
	s.log.Debug("sandbox rejected a packet", "message_id", key, "status", rej.status, "reason", rej.message)
	reply := map[string]any{"error_code": "-1", "message": rej.message}
	if key != "" {
		reply["MaGoiTin"] = key
	}
	if len(rej.issues) > 0 {
		reply["issues"] = issuesJSON(rej.issues)
	}
	writeJSON(w, rej.status, reply)
}

func issuesJSON(issues []packets.Issue) []map[string]string {
	out := make([]map[string]string, 0, len(issues))
	for _, is := range issues {
		// Issue values are already hidden for fields that may hold
		// personal data.
		out = append(out, map[string]string{"field": is.Field, "value": is.Value, "reason": is.Reason})
	}
	return out
}

// ---- hcm-lgsp packet endpoints ----

func (s *Server) handleHCMPacket(kind packets.Kind) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		f, ok := s.gateway(w, r)
		if !ok {
			return
		}
		body, key, rej := s.readPacket(w, r, "application/xml", "text/xml")
		if rej != nil {
			s.answerRejection(w, key, rej)
			return
		}
		a, warnings, rej := s.checkHCM(kind, key, body)
		if rej != nil {
			s.answerRejection(w, key, rej)
			return
		}
		s.accept(w, f, a, body, func(duplicate bool) (int, any) {
			reply := map[string]any{"error_code": "0", "message": "thành công / accepted", "MaGoiTin": key}
			if duplicate {
				reply["message"], reply["duplicate"] = "đã nhận trước đó / duplicate", true
			}
			if len(warnings) > 0 {
				reply["warnings"] = issuesJSON(warnings)
			}
			return http.StatusOK, reply
		}, func(rej *rejection) { s.answerRejection(w, key, rej) })
	}
}

// checkHCM verifies, decodes and validates one hcm-lgsp packet.
func (s *Server) checkHCM(kind packets.Kind, key string, body []byte) (Accepted, []packets.Issue, *rejection) {
	if s.opts.Verify != nil {
		if err := s.opts.Verify(body); err != nil {
			return Accepted{}, nil, reject(http.StatusBadRequest, countSignature, "chữ ký không hợp lệ / invalid signature: %v", err)
		}
	}
	p, err := s.hcm.Decode(body)
	if err != nil {
		return Accepted{}, nil, reject(http.StatusBadRequest, countInvalid, "gói tin không đọc được / cannot decode packet: %v", err)
	}
	if p.Header.MaGoiTin != key {
		return Accepted{}, nil, reject(http.StatusBadRequest, countInvalid,
			"Idempotency-Key %q khác MaGoiTin %q / does not match the packet's MaGoiTin", key, p.Header.MaGoiTin)
	}
	if p.Header.LoaiGoiTin != kind {
		right := s.endpoints[p.Header.LoaiGoiTin]
		return Accepted{}, nil, reject(http.StatusBadRequest, countInvalid,
			"gói tin %s gửi sai địa chỉ / packet of kind %q posted to the %s endpoint; post it to %q", p.Header.LoaiGoiTin, p.Header.LoaiGoiTin, kind, right)
	}
	warnings, err := packets.Validate(p, s.opts.Validate)
	if err != nil {
		rej := reject(http.StatusBadRequest, countInvalid, "gói tin không hợp lệ / %v", err)
		var ve *packets.ValidationError
		if errors.As(err, &ve) {
			rej.issues = ve.Issues
		}
		return Accepted{}, nil, rej
	}
	return Accepted{
		MessageID: key,
		Profile:   packets.ProfileHCMLGSP,
		Kind:      string(kind),
		MaHoSo:    p.MaHoSo(),
		At:        s.now(),
	}, warnings, nil
}

// accept stores a checked packet, recognises duplicates and conflicts, and
// answers — or, when fault injection says the acknowledgement is lost,
// answers 502 after storing.
func (s *Server) accept(w http.ResponseWriter, f fate, a Accepted, body []byte,
	reply func(duplicate bool) (int, any), refuse func(*rejection)) {
	res, stored, firstFull := s.store.put(a, body)
	switch res {
	case putConflict:
		refuse(reject(http.StatusConflict, func(st *Stats) { st.Conflicts++ },
			"MaGoiTin %q đã dùng cho nội dung khác / already used for different bytes (first received %s): a retry must resend the signed bytes unchanged",
			a.MessageID, stored.At.Format(time.RFC3339)))
		return
	case putNew:
		if firstFull {
			s.log.Warn("sandbox memory bound reached: keeping metadata only for further packets", "max_memory_bytes", s.opts.MaxMemoryBytes)
		}
		var storeErr bool
		if err := s.store.write(stored, body); err != nil {
			storeErr = true
			s.log.Error("sandbox could not write a packet to the store directory", "message_id", a.MessageID, "err", err)
		}
		s.count(func(st *Stats) {
			st.Unique++
			st.ByKind[a.Kind]++
			if storeErr {
				st.StoreErrors++
			}
		})
	}
	if f.dropAck {
		s.count(func(st *Stats) {
			st.InjectedDrop++
			if res == putDuplicate {
				st.Duplicates++
			}
		})
		writeJSON(w, http.StatusBadGateway, wso2Fault(101503, "Bad Gateway",
			"sandbox: injected lost acknowledgement; the packet WAS stored"))
		return
	}
	status, v := reply(res == putDuplicate)
	s.count(func(st *Stats) {
		st.Accepted++
		if res == putDuplicate {
			st.Duplicates++
		}
	})
	s.log.Debug("sandbox accepted a packet", "message_id", a.MessageID, "kind", a.Kind, "duplicate", res == putDuplicate)
	writeJSON(w, status, v)
}

// ---- admin endpoints ----

// admin lets a request through from loopback, or with the admin token or
// a valid access token. Browsers' cross-origin requests are refused so a
// web page cannot change faults on a sandbox running on the same machine.
func (s *Server) admin(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if origin := r.Header.Get("Origin"); origin != "" && !sameOrigin(origin, r.Host) {
			writeJSON(w, http.StatusForbidden, map[string]string{"error": "cross-origin requests to /sandbox are refused"})
			return
		}
		// Loopback is trusted only when the request also names a loopback
		// host: a DNS-rebound page reaches 127.0.0.1 under a foreign name.
		if !(isLoopback(r.RemoteAddr) && loopbackHost(r.Host)) && !s.adminAuthorized(r) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="LGSP sandbox admin"`)
			writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "/sandbox is open to loopback clients, or send Authorization: Bearer <admin token or access token>"})
			return
		}
		h(w, r)
	}
}

// loopbackHost reports whether a Host header names this machine by a
// loopback name or address.
func loopbackHost(host string) bool {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.Trim(host, "[]")
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func (s *Server) adminAuthorized(r *http.Request) bool {
	if s.opts.AdminToken != "" {
		scheme, tok, ok := strings.Cut(r.Header.Get("Authorization"), " ")
		if ok && strings.EqualFold(scheme, "Bearer") &&
			subtle.ConstantTimeCompare([]byte(strings.TrimSpace(tok)), []byte(s.opts.AdminToken)) == 1 {
			return true
		}
	}
	_, valid := s.validToken(r)
	return valid
}

func (s *Server) handleStats(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, s.Stats())
}

func (s *Server) handleList(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit, offset := 100, 0
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > 10000 {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": fmt.Sprintf("limit %q: want 0..10000", v)})
			return
		}
		limit = n
	}
	if v := q.Get("offset"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": fmt.Sprintf("offset %q: want a number >= 0", v)})
			return
		}
		offset = n
	}
	kind := q.Get("kind")
	writeJSON(w, http.StatusOK, map[string]any{
		"total":   s.store.count(kind),
		"offset":  offset,
		"packets": s.store.list(kind, offset, limit),
	})
}

func (s *Server) handlePacketBytes(w http.ResponseWriter, r *http.Request) {
	a, ok := s.store.get(r.PathValue("id"))
	if !ok {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": fmt.Sprintf("no packet with message ID %q", r.PathValue("id"))})
		return
	}
	body, ok := s.store.body(a)
	if !ok {
		writeJSON(w, http.StatusGone, map[string]string{"error": "the body of this packet was not kept (memory bound reached and no store directory)"})
		return
	}
	ct := s.hcm.ContentType()
	if a.Profile == packets.ProfileDVCQG {
		ct = s.dvcqg.ContentType()
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("X-Message-ID", a.MessageID)
	_, _ = w.Write(body)
}

func (s *Server) handleGetFaults(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, faultsToJSON(s.Faults()))
}

func (s *Server) handleSetFaults(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	body, err := io.ReadAll(r.Body)
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
		return
	}
	f, err := mergeFaults(s.Faults(), body, s.now())
	if err == nil {
		err = s.SetFaults(f)
	}
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
		return
	}
	writeJSON(w, http.StatusOK, faultsToJSON(f))
}
