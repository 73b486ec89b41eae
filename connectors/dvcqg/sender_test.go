package dvcqg

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/hcmc-lgsp/lgsp-connector/internal/lgsp"
	"github.com/hcmc-lgsp/lgsp-connector/internal/sandbox"
)

func TestSenderDecidesCreateOrUpdate(t *testing.T) {
	tests := []struct {
		name string
		// prepare puts the portal and the log in the state before the
		// packet is sent.
		prepare       func(t *testing.T, r *rig, acks *ackLog)
		wantLookups   int
		wantExists    int
		wantUpdates   int
		wantDossierDB bool
	}{
		{
			name:        "new dossier: log says no, portal has none → create",
			prepare:     func(*testing.T, *rig, *ackLog) {},
			wantLookups: 1, wantExists: 0, wantUpdates: 0,
		},
		{
			name: "acknowledged before → update without a lookup",
			prepare: func(t *testing.T, r *rig, acks *ackLog) {
				if err := r.c.DongBoHoSoMC(context.Background(), [][]byte{item(t, dossierPacket(1, "2"))}, false); err != nil {
					t.Fatal(err)
				}
				acks.set(maHoSo(1))
			},
			wantLookups: 0, wantExists: 0, wantUpdates: 1,
		},
		{
			name: "log does not know, portal has it → TraCuuHoSo says update",
			prepare: func(t *testing.T, r *rig, _ *ackLog) {
				if err := r.c.DongBoHoSoMC(context.Background(), [][]byte{item(t, dossierPacket(1, "2"))}, false); err != nil {
					t.Fatal(err)
				}
			},
			wantLookups: 1, wantExists: 0, wantUpdates: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, rigOptions{})
			acks := newAckLog()
			tt.prepare(t, r, acks)
			lookups := r.calls(ServiceTraCuuHoSo)

			p := dossierPacket(1, "4")
			res := NewSender(r.c, acks, SenderOptions{}).Send(context.Background(), stored(t, p))
			if res.Class != lgsp.ClassDelivered || res.Err != nil {
				t.Fatalf("class %s: %v", res.Class, res.Err)
			}
			st := r.sb.Stats().DVCQG
			if got := st.Calls[ServiceTraCuuHoSo] - lookups; got != tt.wantLookups {
				t.Errorf("lookups %d, want %d", got, tt.wantLookups)
			}
			d, _ := r.sb.PortalDossier(maHoSo(1))
			if st.AlreadyExists != tt.wantExists || d.Updates != tt.wantUpdates || !strings.Contains(string(d.Item), `"TrangThaiHoSo":"4"`) {
				t.Errorf("already-exists %d, updates %d, item %s; want %d, %d and the sent version", st.AlreadyExists, d.Updates, d.Item, tt.wantExists, tt.wantUpdates)
			}
			// A create goes under the packet's own message ID, an update
			// under the ID derived from it.
			id := p.Header.MaGoiTin
			if tt.wantUpdates > 0 {
				id = derivedID(id, "update")
			}
			if a, ok := r.sb.Packet(id); !ok || a.Kind != ServiceDongBoHoSoMC || a.MaHoSo != maHoSo(1) {
				t.Errorf("sandbox has no DongBoHoSoMC under message ID %s: %+v", id, a)
			}
			if res.Attempts < 1 || res.Endpoint == "" || res.Status != 200 {
				t.Errorf("result attempts %d endpoint %q status %d", res.Attempts, res.Endpoint, res.Status)
			}
		})
	}
}

func TestSenderResendsAsUpdateWhenThePortalSaysItExists(t *testing.T) {
	// The lookup fails (outage), so the Sender tries a create; the
	// portal, which has the dossier, answers "đã tồn tại"; the Sender
	// resends the same item as an update under a derived message ID.
	r := newRig(t, rigOptions{transport: func(next Transport) Transport { return failing{next: next, match: `"TraCuuHoSo"`} }})
	ctx := context.Background()
	if err := r.c.DongBoHoSoMC(ctx, [][]byte{item(t, dossierPacket(1, "2"))}, false); err != nil {
		t.Fatal(err)
	}
	p := dossierPacket(1, "9")
	res := NewSender(r.c, newAckLog(), SenderOptions{}).Send(ctx, stored(t, p))
	if res.Class != lgsp.ClassDelivered {
		t.Fatalf("class %s: %v", res.Class, res.Err)
	}
	d, _ := r.sb.PortalDossier(maHoSo(1))
	if st := r.sb.Stats().DVCQG; st.AlreadyExists != 1 || d.Updates != 1 || !strings.Contains(string(d.Item), `"TrangThaiHoSo":"9"`) {
		t.Errorf("already-exists %d, updates %d: want the create refused once and the update applied", st.AlreadyExists, d.Updates)
	}
	if _, ok := r.sb.Packet(derivedID(p.Header.MaGoiTin, "update")); !ok {
		t.Error("the update was not sent under the derived message ID")
	}
	// Resending the packet (as the outbox does after a lost answer) is
	// harmless: LGSP recognises both message IDs.
	if res := NewSender(r.c, newAckLog(), SenderOptions{}).Send(ctx, stored(t, p)); res.Class != lgsp.ClassDelivered {
		t.Fatalf("resend: class %s: %v", res.Class, res.Err)
	}
	if d, _ := r.sb.PortalDossier(maHoSo(1)); d.Updates != 1 {
		t.Errorf("resend applied again: %d updates", d.Updates)
	}
}

func TestSenderRetryAfterALostAcknowledgement(t *testing.T) {
	// The create reaches the portal but its answer is lost; the outbox
	// sends the packet again. The portal now has the dossier, so the
	// retry is an update: it must go under another message ID than the
	// create's, which names other bytes.
	r := newRig(t, rigOptions{})
	ctx := context.Background()
	p := dossierPacket(1, "4")
	if err := r.sb.SetFaults(sandbox.Faults{DropAckRate: 1}); err != nil {
		t.Fatal(err)
	}
	if res := NewSender(r.c, newAckLog(), SenderOptions{}).Send(ctx, stored(t, p)); res.Class == lgsp.ClassDelivered {
		t.Fatalf("lost acknowledgement delivered: %+v", res)
	}
	if err := r.sb.SetFaults(sandbox.Faults{}); err != nil {
		t.Fatal(err)
	}
	res := NewSender(r.c, newAckLog(), SenderOptions{}).Send(ctx, stored(t, p))
	if res.Class != lgsp.ClassDelivered {
		t.Fatalf("retry: class %s: %v", res.Class, res.Err)
	}
	st := r.sb.Stats()
	d, _ := r.sb.PortalDossier(maHoSo(1))
	if st.Conflicts != 0 || st.DVCQG.Dossiers != 1 || d.Updates != 1 {
		t.Errorf("conflicts %d, dossiers %d, updates %d: want the retry applied once as an update", st.Conflicts, st.DVCQG.Dossiers, d.Updates)
	}
}

func TestSenderHoldsProgressUntilTheDossierIsAcknowledged(t *testing.T) {
	r := newRig(t, rigOptions{})
	ctx := context.Background()
	acks := newAckLog()
	s := NewSender(r.c, acks, SenderOptions{ProgressWait: 45 * time.Second})
	step := stored(t, stepPacket(1, 0))

	res := s.Send(ctx, step)
	if res.Class != lgsp.ClassThrottled || res.RetryAfter != 45*time.Second || !IsProgressDeferred(res) {
		t.Fatalf("progress before its dossier: class %s retry-after %s err %v; want throttled 45s, deferred", res.Class, res.RetryAfter, res.Err)
	}
	if !strings.Contains(res.Err.Error(), maHoSo(1)) {
		t.Errorf("error %q does not name the dossier", res.Err)
	}
	if got := r.calls(ServiceCapNhatTienDoHoSoMC) + r.calls("login"); got != 0 {
		t.Errorf("the portal was called %d times for a deferred step", got)
	}

	if res := s.Send(ctx, stored(t, dossierPacket(1, "4"))); res.Class != lgsp.ClassDelivered {
		t.Fatalf("dossier: class %s: %v", res.Class, res.Err)
	}
	acks.set(maHoSo(1)) // the lead's AckLog reads this from the outbox
	if res := s.Send(ctx, step); res.Class != lgsp.ClassDelivered || IsProgressDeferred(res) {
		t.Fatalf("progress after its dossier: class %s: %v", res.Class, res.Err)
	}
	d, _ := r.sb.PortalDossier(maHoSo(1))
	if len(d.Steps) != 1 {
		t.Errorf("portal holds %d steps, want 1", len(d.Steps))
	}
	if _, ok := r.sb.Packet(stepPacket(1, 0).Header.MaGoiTin); !ok {
		t.Error("the step was not sent under its own message ID")
	}

	acks.err = errors.New("database is locked")
	if res := s.Send(ctx, step); res.Class != lgsp.ClassTransient || !strings.Contains(res.Err.Error(), "delivery log") {
		t.Errorf("unreadable log: class %s err %v, want transient", res.Class, res.Err)
	}
}

func TestSenderSurvivesSessionExpiry(t *testing.T) {
	r := newRig(t, rigOptions{})
	ctx := context.Background()
	acks := newAckLog()
	s := NewSender(r.c, acks, SenderOptions{})
	if res := s.Send(ctx, stored(t, dossierPacket(1, "2"))); res.Class != lgsp.ClassDelivered {
		t.Fatalf("class %s: %v", res.Class, res.Err)
	}
	acks.set(maHoSo(1))
	r.sb.ExpirePortalSessions()
	res := s.Send(ctx, stored(t, stepPacket(1, 0)))
	if res.Class != lgsp.ClassDelivered {
		t.Fatalf("after expiry: class %s: %v", res.Class, res.Err)
	}
	if st := r.sb.Stats().DVCQG; st.Calls["login"] != 2 || st.SessionRejected != 1 || st.Steps != 1 {
		t.Errorf("logins %d, rejections %d, steps %d; want 2, 1, 1", st.Calls["login"], st.SessionRejected, st.Steps)
	}
	if res.Attempts != 2 {
		t.Errorf("attempts %d, want 2 (refused, then resent)", res.Attempts)
	}
}

func TestSenderClasses(t *testing.T) {
	invalid := dossierPacket(5, "2")
	invalid.Dossier.MaTTHC = "" // the portal (sandbox validation) refuses it

	tests := []struct {
		name      string
		faults    sandbox.Faults
		req       func(t *testing.T) lgsp.Request
		wantClass lgsp.Class
		wantErr   string
		wantCalls int // DongBoHoSoMC calls the portal answered
	}{
		{
			name:      "portal rejection is permanent, message kept",
			req:       func(t *testing.T) lgsp.Request { return stored(t, invalid) },
			wantClass: lgsp.ClassPermanent, wantErr: "MaTTHC", wantCalls: 1,
		},
		{
			name:      "LGSP throttling passes through",
			faults:    sandbox.Faults{ThrottleRate: 1, RetryAfter: 30 * time.Second},
			req:       func(t *testing.T) lgsp.Request { return stored(t, dossierPacket(1, "2")) },
			wantClass: lgsp.ClassThrottled, wantErr: "429",
		},
		{
			name:      "LGSP server errors pass through",
			faults:    sandbox.Faults{ErrorRate: 1},
			req:       func(t *testing.T) lgsp.Request { return stored(t, dossierPacket(1, "2")) },
			wantClass: lgsp.ClassTransient, wantErr: "HTTP 5",
		},
		{
			name: "stored bytes that are not an envelope",
			req: func(*testing.T) lgsp.Request {
				return lgsp.Request{MessageID: "6f1c2a9e-3b7d-4c1e-9a52-000000000009", Body: []byte(`<GoiTin/>`)}
			},
			wantClass: lgsp.ClassPermanent, wantErr: "not a dvcqg envelope",
		},
		{
			name: "envelope with an unknown key",
			req: func(*testing.T) lgsp.Request {
				return lgsp.Request{MessageID: "6f1c2a9e-3b7d-4c1e-9a52-000000000009",
					Body: []byte(`{"madonvi":"x","service":"DongBoHoSoMC","isUpdating":"False","extra":1,"data":[{"MaHoSo":"a"}]}`)}
			},
			wantClass: lgsp.ClassPermanent, wantErr: "envelope.extra",
		},
		{
			name: "dossier item without MaHoSo",
			req: func(*testing.T) lgsp.Request {
				return lgsp.Request{MessageID: "6f1c2a9e-3b7d-4c1e-9a52-000000000009",
					Body: []byte(`{"madonvi":"x","service":"DongBoHoSoMC","isUpdating":"False","data":[{"MaTTHC":"1.001193"}]}`)}
			},
			wantClass: lgsp.ClassPermanent, wantErr: "no MaHoSo",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, rigOptions{})
			ctx := context.Background()
			// Log in before faults start, so they hit the packet itself.
			if _, err := r.c.TraCuuHoSo(ctx, maHoSo(0)); err != nil {
				t.Fatal(err)
			}
			if err := r.sb.SetFaults(tt.faults); err != nil {
				t.Fatal(err)
			}
			acks := newAckLog()
			acks.set(maHoSo(1)) // no lookup: the packet goes straight out
			acks.set(maHoSo(5))
			res := NewSender(r.c, acks, SenderOptions{}).Send(ctx, tt.req(t))
			if res.Class != tt.wantClass || res.Err == nil || !strings.Contains(res.Err.Error(), tt.wantErr) {
				t.Fatalf("class %s err %v; want %s with %q", res.Class, res.Err, tt.wantClass, tt.wantErr)
			}
			if errors.Is(res.Err, lgsp.ErrConfig) {
				t.Errorf("not a configuration problem, but marked as one: %v", res.Err)
			}
			if got := r.calls(ServiceDongBoHoSoMC); got != tt.wantCalls {
				t.Errorf("portal answered %d DongBoHoSoMC calls, want %d", got, tt.wantCalls)
			}
			if tt.wantClass == lgsp.ClassPermanent && tt.wantCalls > 0 && !strings.Contains(res.Excerpt, "error_code") {
				t.Errorf("excerpt %q does not keep the portal's answer", res.Excerpt)
			}
			r.checkNoSecrets(t, res.Err)
		})
	}
}

func TestSenderPassesOtherServicesThrough(t *testing.T) {
	r := newRig(t, rigOptions{})
	body := `{"madonvi":"` + unitCode + `","service":"DongBoThongKeHoSo","data":[{"Thang":"8","Nam":"2026",` +
		`"SoNhanTrongKy":"3","SoTonKyTruoc":"1","TongSoXuLy":"4","TongDaXuLy":"2","TongXuLyDungHan":"2","PhanTramXuLyDungHan":"100.00",` +
		`"TongXuLyTreHan":"0","PhanTramXuLyTreHan":"0.00","TongChuaXuLy":"2","TongChuaXuLyTrongHan":"2","PhanTramChuaXuLyTrongHan":"100.00",` +
		`"TongChuaXuLyTreHan":"0","PhanTramChuaXuLyTreHan":"0.00"}]}`
	res := NewSender(r.c, newAckLog(), SenderOptions{}).Send(context.Background(),
		lgsp.Request{MessageID: "8b9c0d1e-3b7d-4c1e-9a52-000000000001", Body: []byte(body)})
	if res.Class != lgsp.ClassDelivered {
		t.Fatalf("class %s: %v", res.Class, res.Err)
	}
	if f, ok := r.sb.PortalStatistics(unitCode, 2026, 8); !ok || f["TongSoXuLy"] != "4" {
		t.Errorf("statistics not stored: %v", f)
	}
}
