package pipeline_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/hcmc-lgsp/lgsp-connector/internal/outbox"
	"github.com/hcmc-lgsp/lgsp-connector/internal/pipeline"
)

// applicant is the personal data of one legacy dossier row.
type applicant struct{ name, idNumber, phone, email string }

func (r *rig) applicants(t *testing.T) map[string]applicant {
	t.Helper()
	rows, err := r.legacy.Query(`SELECT CAST(id AS TEXT), COALESCE(CAST(ho_ten_nguoi_nop AS TEXT), ''),
		COALESCE(so_giay_to, ''), COALESCE(dien_thoai, ''), COALESCE(email, '') FROM hs_hoso`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]applicant{}
	for rows.Next() {
		var k string
		var a applicant
		if err := rows.Scan(&k, &a.name, &a.idNumber, &a.phone, &a.email); err != nil {
			t.Fatal(err)
		}
		out[k] = a
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// Every record read ends up exactly once as a packet or as a quarantine
// row, in source order; quarantine rows say which field failed and why
// (mapping errors, validation errors and rows the source could not place)
// and keep the raw record with personal data masked.
func TestEveryRecordBecomesPacketOrQuarantine(t *testing.T) {
	ctx := context.Background()
	r := newRig(t, rigOptions{dossiers: 40, bad: 14, maxSteps: 2})
	// A row the source reads but cannot place: its update time is not in
	// the configured layout (sorts first as text).
	mustExec(t, r.legacy, `INSERT INTO hs_hoso (id, so_ho_so, ho_ten_nguoi_nop, so_giay_to, dien_thoai, email, ngay_cap_nhat)
		VALUES (9001, '000.00.12.H29-260101-0001', 'Trần Thị Bích Ngọc', '079199001234', '0912345678', 'ngoc.tran@example.vn', '01/01/2026 08:00')`)
	wantFields := map[string]string{"9001": "ngay_cap_nhat"}
	for id, field := range r.gen.BadReasons {
		wantFields[strconv.FormatInt(id, 10)] = field
	}

	p, st := r.pipeline(t, build{opts: func(o *pipeline.Options) { o.BatchSize, o.Workers = 7, 1 }})
	ps, err := p.Poll(ctx)
	if err != nil {
		t.Fatal(err)
	}
	keys := r.legacyKeys(t)
	if ps.Read != len(keys) || ps.Queued+ps.Quarantined != ps.Read || ps.Quarantined != len(wantFields) {
		t.Fatalf("poll %+v; the legacy tables hold %d rows of which %d are bad", ps, len(keys), len(wantFields))
	}

	where := map[recordRef]string{}
	pkts := allPackets(t, st)
	for _, e := range pkts {
		ref := recordRef{e.Stream, e.RecordKey}
		if where[ref] != "" {
			t.Errorf("record %v queued twice", ref)
		}
		where[ref] = "packet"
	}
	q, err := st.Quarantine(ctx, outbox.Filter{Limit: outbox.MaxQueryLimit})
	if err != nil {
		t.Fatal(err)
	}
	people := r.applicants(t)
	reasons := map[string]int{}
	for _, e := range q {
		ref := recordRef{e.Stream, e.RecordKey}
		if where[ref] != "" {
			t.Errorf("record %v is both %s and quarantined", ref, where[ref])
		}
		where[ref] = "quarantine"
		want, bad := wantFields[e.RecordKey]
		if e.Stream != "ho_so" || !bad {
			t.Errorf("good record %v quarantined: %s %s: %s", ref, e.Field, e.Value, e.Reason)
			continue
		}
		if e.Field != want || e.Reason == "" || e.ID == "" {
			t.Errorf("record %v quarantined for field %q (%q), want field %s and a reason", ref, e.Field, e.Reason, want)
		}
		switch {
		case strings.HasPrefix(e.Reason, "invalid packet"):
			reasons["validation"]++
		case e.RecordKey == "9001":
			reasons["source"]++
		default:
			reasons["mapping"]++
		}

		var raw map[string]any
		if err := json.Unmarshal(e.Record, &raw); err != nil {
			t.Errorf("record %v: stored raw record is not JSON: %v", ref, err)
			continue
		}
		if _, ok := raw["so_ho_so"]; !ok {
			t.Errorf("record %v: stored raw record lacks its columns: %s", ref, e.Record)
		}
		a := people[e.RecordKey]
		for what, v := range map[string]string{"applicant name": a.name, "ID number": a.idNumber, "phone": a.phone, "email": a.email} {
			if v == "" {
				t.Fatalf("record %v has no %s to check", ref, what)
			}
			for part, text := range map[string]string{"raw record": string(e.Record), "value": e.Value, "reason": e.Reason} {
				if strings.Contains(text, v) {
					t.Errorf("record %v: quarantine %s shows the %s verbatim", ref, part, what)
				}
			}
		}
	}
	for _, kind := range []string{"validation", "mapping", "source"} {
		if reasons[kind] == 0 {
			t.Errorf("no quarantine row came from a %s error (%v): that path is not exercised", kind, reasons)
		}
	}
	for ref := range keys {
		if where[ref] == "" {
			t.Errorf("record %v was read but neither queued nor quarantined", ref)
		}
	}
	if len(where) != len(keys) {
		t.Errorf("%d records accounted for, the legacy tables hold %d", len(where), len(keys))
	}

	// Source order: dossiers (in cursor order) before their steps.
	var gotOrder []string
	for _, e := range pkts {
		if e.Stream == "ho_so" {
			gotOrder = append(gotOrder, e.RecordKey)
		}
	}
	var wantOrder []string
	rows, err := r.legacy.Query(`SELECT CAST(id AS TEXT) FROM hs_hoso ORDER BY ngay_cap_nhat, id`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			t.Fatal(err)
		}
		if _, bad := wantFields[k]; !bad {
			wantOrder = append(wantOrder, k)
		}
	}
	rows.Close()
	if !slices.Equal(gotOrder, wantOrder) {
		t.Errorf("dossiers queued in order %v, want cursor order %v", gotOrder, wantOrder)
	}
	firstStep := slices.IndexFunc(pkts, func(e outbox.Entry) bool { return e.Stream != "ho_so" })
	if lastDossier := len(gotOrder) - 1; firstStep <= lastDossier {
		t.Errorf("a processing step was queued at %d, before the last dossier at %d", firstStep, lastDossier)
	}

	// One delivery worker sends them in exactly that order.
	if ds, err := p.DeliverDue(ctx); err != nil || ds.Delivered != len(pkts) {
		t.Fatalf("delivery %+v, %v; want all %d delivered", ds, err, len(pkts))
	}
	var sent []string
	for _, a := range r.sb.Accepted() {
		sent = append(sent, a.MessageID)
	}
	var queued []string
	for _, e := range pkts {
		queued = append(queued, e.ID)
	}
	if !slices.Equal(sent, queued) {
		t.Errorf("the sandbox received %d packets in an order other than the queue's (%d)", len(sent), len(queued))
	}
}

// cancellingSigner cancels the poll's context when it signs its n-th
// packet, as a shutdown arriving in the middle of a batch would.
type cancellingSigner struct {
	pipeline.Signer
	n      int64
	signed *atomic.Int64
	cancel context.CancelFunc
}

func (s cancellingSigner) Sign(doc []byte) ([]byte, error) {
	if s.signed.Add(1) == s.n {
		s.cancel()
	}
	return s.Signer.Sign(doc)
}

// A poll stopped in the middle of a batch commits nothing of that batch
// and does not move its cursor: the next poll queues every record once.
func TestPollStoppedMidBatchLosesNothing(t *testing.T) {
	r := newRig(t, rigOptions{dossiers: 30, maxSteps: 1})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var signed atomic.Int64
	signer := cancellingSigner{Signer: r.signer, n: 20, signed: &signed, cancel: cancel}
	p, st := r.pipeline(t, build{signer: signer, opts: func(o *pipeline.Options) { o.BatchSize = 16 }})
	ps, err := p.Poll(ctx)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("poll cancelled in its second batch: %+v, %v; want context.Canceled", ps, err)
	}
	if c := counts(t, st); c.Pending != 16 {
		t.Errorf("after the stop %d packets are queued, want the first batch of 16", c.Pending)
	}

	ps, err = p.Poll(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	keys := r.legacyKeys(t)
	if ps.Duplicates != 0 || ps.Queued != len(keys)-16 {
		t.Errorf("second poll %+v, want the remaining %d records queued without duplicates", ps, len(keys)-16)
	}
	got := idsByRecord(t, allPackets(t, st))
	for ref := range keys {
		if got[ref] == "" {
			t.Errorf("record %v was lost", ref)
		}
	}
	if len(got) != len(keys) {
		t.Errorf("%d packets for %d records", len(got), len(keys))
	}
}
