package dvcqg

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/hcmc-lgsp/lgsp-connector/internal/lgsp"
)

// AckLog answers "has the portal acknowledged a dossier packet for this
// MaHoSo before?" from the delivery log. false means "not to our
// knowledge": the dossier may still be on the portal (sent by earlier
// software, or purged from the log), which TraCuuHoSo settles.
type AckLog interface {
	Acknowledged(ctx context.Context, maHoSo string) (bool, error)
}

// DefaultProgressWait is how long a progress packet waits, at least, for
// its dossier to be acknowledged before it is tried again.
const DefaultProgressWait = 30 * time.Second

// SenderOptions tune a Sender.
type SenderOptions struct {
	// ProgressWait is the RetryAfter of a progress packet whose dossier
	// the portal has not acknowledged yet. Default DefaultProgressWait.
	ProgressWait time.Duration
}

// Sender delivers outbox packets of the dvcqg profile — the portal's
// envelope without a session, as packets.ProfileByName("dvcqg") encodes
// it — and answers with the transport's classes, so the pipeline can use
// it in place of *lgsp.Client. It:
//
//   - adds the session (logging in, and once again when the portal says
//     the session is invalid);
//   - for DongBoHoSoMC, sends isUpdating "True" when the AckLog knows the
//     dossier or TraCuuHoSo finds it, else "False"; a create answered
//     "đã tồn tại" is resent as an update;
//   - for CapNhatTienDoHoSoMC, does not call the portal until every
//     dossier the steps belong to is acknowledged ("progress never before
//     its dossier"): it answers ClassThrottled with RetryAfter =
//     ProgressWait. Throttled attempts do not count towards
//     delivery.max_attempts, so a step waits as long as its dossier does;
//   - sends any other service's envelope as it is, with the session.
//
// Request.Path is ignored: every service goes to the configured
// integration endpoint. The message ID is the packet's; follow-up calls
// (the update resend, further chunks of steps) carry IDs derived from it.
type Sender struct {
	c    *Client
	acks AckLog
	wait time.Duration
}

// NewSender builds a Sender over c. acks may be nil: every dossier is then
// looked up with TraCuuHoSo, and progress is never held back (use that
// only where the portal's own ordering check is trusted).
func NewSender(c *Client, acks AckLog, o SenderOptions) *Sender {
	if o.ProgressWait <= 0 {
		o.ProgressWait = DefaultProgressWait
	}
	return &Sender{c: c, acks: acks, wait: o.ProgressWait}
}

// storedEnvelope is a packet as the dvcqg profile stored it.
type storedEnvelope struct {
	MaDonVi    string
	Service    string
	IsUpdating string // "", "True" or "False"
	Items      [][]byte
	MaHoSo     []string // of each item, in order
}

// parseStored reads a stored envelope. A "session" key is tolerated and
// dropped; any other unknown key is kept out (the portal would not know
// it either) by refusing the packet.
func parseStored(body []byte) (storedEnvelope, error) {
	var raw map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&raw); err != nil {
		return storedEnvelope{}, fmt.Errorf("not a JSON envelope: %w", err)
	}
	if dec.More() {
		return storedEnvelope{}, errors.New("data after the envelope's closing brace")
	}
	var env storedEnvelope
	var data []json.RawMessage
	for k, v := range raw {
		var err error
		switch k {
		case "madonvi":
			err = json.Unmarshal(v, &env.MaDonVi)
		case "service":
			err = json.Unmarshal(v, &env.Service)
		case "isUpdating":
			err = json.Unmarshal(v, &env.IsUpdating)
			if err == nil && env.IsUpdating != "True" && env.IsUpdating != "False" {
				err = fmt.Errorf("%q, want \"True\" or \"False\"", env.IsUpdating)
			}
		case "data":
			err = json.Unmarshal(v, &data)
		case "session":
		default:
			err = errors.New("unknown key (the dvcqg profile writes madonvi, service, isUpdating, data)")
		}
		if err != nil {
			return storedEnvelope{}, fmt.Errorf("envelope.%s: %w", k, err)
		}
	}
	if env.Service == "" {
		return storedEnvelope{}, errors.New("envelope has no service")
	}
	if len(data) == 0 {
		return storedEnvelope{}, errors.New("envelope has no data items")
	}
	for i, item := range data {
		var key struct {
			MaHoSo string `json:"MaHoSo"`
		}
		t := bytes.TrimSpace(item)
		if len(t) == 0 || t[0] != '{' {
			return storedEnvelope{}, fmt.Errorf("data[%d] is not an object", i)
		}
		if err := json.Unmarshal(t, &key); err != nil {
			return storedEnvelope{}, fmt.Errorf("data[%d]: %w", i, err)
		}
		env.Items = append(env.Items, t)
		env.MaHoSo = append(env.MaHoSo, key.MaHoSo)
	}
	return env, nil
}

// Send delivers one stored packet. See Sender.
func (s *Sender) Send(ctx context.Context, r lgsp.Request) lgsp.Result {
	start := time.Now()
	res := s.send(ctx, r)
	res.Latency = time.Since(start)
	if res.Endpoint == "" {
		res.Endpoint = s.c.cfg.IntegrationEndpoint
	}
	return res
}

func (s *Sender) send(ctx context.Context, r lgsp.Request) lgsp.Result {
	env, err := parseStored(r.Body)
	if err != nil {
		return lgsp.Result{Class: lgsp.ClassPermanent,
			Err: fmt.Errorf("dvcqg packet %s: stored bytes are not a dvcqg envelope: %w", r.MessageID, err)}
	}
	madonvi := env.MaDonVi
	if madonvi == "" {
		madonvi = s.c.cfg.MaDonVi
	}
	switch env.Service {
	case ServiceDongBoHoSoMC:
		for i, m := range env.MaHoSo {
			if m == "" {
				return lgsp.Result{Class: lgsp.ClassPermanent, Err: fmt.Errorf("dvcqg packet %s: data[%d] has no MaHoSo", r.MessageID, i)}
			}
		}
		update, res, ok := s.isUpdating(ctx, env)
		if !ok {
			return res
		}
		// The packet's message ID names its stored bytes, a create. An
		// update is another call, so it goes under the ID the "đã tồn tại"
		// resend uses: after a lost acknowledgement of the create, the retry
		// (now an update) must not reuse the create's ID for other bytes.
		id := r.MessageID
		if update && env.IsUpdating != "True" {
			id = derivedID(r.MessageID, "update")
		}
		_, out := s.c.syncDossiers(ctx, id, madonvi, env.Items, update)
		out.Attempts += res.Attempts
		return out
	case ServiceCapNhatTienDoHoSoMC:
		if res, ok := s.dossiersAcknowledged(ctx, r.MessageID, env.MaHoSo); !ok {
			return res
		}
		_, out, _ := s.c.sendSteps(ctx, r.MessageID, madonvi, env.Items)
		return out
	default:
		q := portalCall{endpoint: s.c.cfg.IntegrationEndpoint, service: env.Service, messageID: r.MessageID,
			madonvi: madonvi, data: env.Items}
		if env.IsUpdating != "" {
			u := env.IsUpdating == "True"
			q.isUpdating = &u
		}
		_, out := s.c.call(ctx, q)
		return out
	}
}

// isUpdating decides create or update for a dossier packet: update when
// the packet says so, or when every dossier in it is known — to the
// AckLog, else to TraCuuHoSo. ok is false when the decision could not be
// made (res says why); a lookup that fails for a reason other than the
// session decides "create", which "đã tồn tại" corrects if need be.
func (s *Sender) isUpdating(ctx context.Context, env storedEnvelope) (update bool, res lgsp.Result, ok bool) {
	if env.IsUpdating == "True" {
		return true, res, true
	}
	for _, m := range env.MaHoSo {
		known := false
		if s.acks != nil {
			var err error
			known, err = s.acks.Acknowledged(ctx, m)
			if err != nil {
				return false, lgsp.Result{Class: lgsp.ClassTransient,
					Err: fmt.Errorf("dvcqg DongBoHoSoMC: cannot read the delivery log for dossier %q: %w", m, err)}, false
			}
		}
		if known {
			continue
		}
		found, lr := s.c.lookup(ctx, m)
		res.Attempts += lr.Attempts
		if lr.Class != lgsp.ClassDelivered {
			if errors.Is(lr.Err, lgsp.ErrConfig) {
				return false, lr, false // the login itself is refused: pause
			}
			s.c.log.Debug("TraCuuHoSo failed; trying a create", "ma_ho_so", m, "class", lr.Class.String())
			return false, res, true
		}
		if !found {
			return false, res, true
		}
	}
	return true, res, true
}

// dossiersAcknowledged holds progress back until the portal has every
// dossier the steps belong to. ok false means "not yet" (or the log could
// not be read), with the result to return.
func (s *Sender) dossiersAcknowledged(ctx context.Context, id string, maHoSo []string) (lgsp.Result, bool) {
	if s.acks == nil {
		return lgsp.Result{}, true
	}
	seen := map[string]bool{}
	for i, m := range maHoSo {
		if m == "" {
			return lgsp.Result{Class: lgsp.ClassPermanent, Err: fmt.Errorf("dvcqg packet %s: data[%d] has no MaHoSo", id, i)}, false
		}
		if seen[m] {
			continue
		}
		seen[m] = true
		ok, err := s.acks.Acknowledged(ctx, m)
		if err != nil {
			return lgsp.Result{Class: lgsp.ClassTransient,
				Err: fmt.Errorf("dvcqg CapNhatTienDoHoSoMC: cannot read the delivery log for dossier %q: %w", m, err)}, false
		}
		if !ok {
			return lgsp.Result{Class: lgsp.ClassThrottled, RetryAfter: s.wait,
				Err: fmt.Errorf("dvcqg CapNhatTienDoHoSoMC: %w: dossier %q", ErrDossierNotAcknowledged, m)}, false
		}
	}
	return lgsp.Result{}, true
}

// ErrDossierNotAcknowledged marks a progress packet held back because the
// portal has not acknowledged its dossier yet (the packet is retried).
var ErrDossierNotAcknowledged = errors.New("waiting for the dossier to be acknowledged by the national portal before sending its progress")

// IsProgressDeferred reports whether a Send result is a progress packet
// held back for its dossier, as opposed to throttling by LGSP.
func IsProgressDeferred(res lgsp.Result) bool {
	return res.Class == lgsp.ClassThrottled && errors.Is(res.Err, ErrDossierNotAcknowledged)
}

// The pipeline's Sender interface, without importing the pipeline.
var _ interface {
	Send(context.Context, lgsp.Request) lgsp.Result
} = (*Sender)(nil)
