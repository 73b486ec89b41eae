package pipeline_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/hcmc-lgsp/lgsp-connector/connectors"
	"github.com/hcmc-lgsp/lgsp-connector/internal/lgsp"
	"github.com/hcmc-lgsp/lgsp-connector/internal/outbox"
	"github.com/hcmc-lgsp/lgsp-connector/internal/pipeline"
	"github.com/hcmc-lgsp/lgsp-connector/internal/sandbox"
	"github.com/hcmc-lgsp/lgsp-connector/mapping"
	"github.com/hcmc-lgsp/lgsp-connector/packets"
)

// memSource serves one stream of records held in memory, in cursor order,
// as a survey vendor's table would.
type memSource struct {
	stream string
	recs   []connectors.Record
}

func (s *memSource) Streams() []string              { return []string{s.stream} }
func (s *memSource) Start(context.Context) error    { return nil }
func (s *memSource) Shutdown(context.Context) error { return nil }
func (s *memSource) add(recs ...connectors.Record)  { s.recs = append(s.recs, recs...) }
func (s *memSource) Read(_ context.Context, stream string, after connectors.Cursor, limit int) (connectors.Batch, error) {
	sort.Slice(s.recs, func(i, j int) bool { return s.recs[j].Cursor.After(s.recs[i].Cursor) })
	b := connectors.Batch{Next: after}
	for _, r := range s.recs {
		if r.Stream != stream || !r.Cursor.After(after) {
			continue
		}
		if len(b.Records) == limit {
			b.More = true
			break
		}
		b.Records = append(b.Records, r)
		b.Next = r.Cursor
	}
	return b, nil
}

// ratingMapping is a kiosk's answer table; MaPhieu identifies a rating.
func ratingMapping(t *testing.T) *mapping.Mapper {
	t.Helper()
	m, err := mapping.New(mapping.Config{Streams: map[string]mapping.StreamMapping{"danh_gia": {
		Packet:   "DanhGia",
		Identity: []string{"MaPhieu"},
		Fields: map[string]mapping.FieldMapping{
			"MaPhieu":         {Column: "ma_phieu"},
			"MaDonVi":         {Const: "000.00.12.H29"},
			"MucDoHaiLong":    {Column: "muc_do"},
			"LyDo":            {Column: "ly_do"},
			"ThoiDiemDanhGia": {Column: "thoi_gian", Format: []string{"2006-01-02 15:04:05"}},
		},
	}}}, mapping.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// kioskRow is one row of the answer table, updated at minute min of
// 2026-11-02 (Viet Nam time).
func kioskRow(key string, min int, maPhieu, level, reason string) connectors.Record {
	updated := time.Date(2026, 11, 2, 9, min, 0, 0, packets.VietnamZone)
	values := map[string]any{"ma_phieu": maPhieu, "muc_do": level, "ly_do": nil, "thoi_gian": "2026-11-02 09:00:00"}
	if reason != "" {
		values["ly_do"] = reason
	}
	return connectors.Record{Stream: "danh_gia", Key: key, Cursor: connectors.Cursor{Updated: updated, Key: key}, Values: values}
}

// messageID is the documented derivation of a message ID, written out
// here so a change to it shows: a v5 UUID in the pipeline's namespace.
func messageID(name string) string {
	return uuid.NewSHA1(uuid.MustParse("6f1c8a52-3c0e-5b7e-9a41-2d2b7c1e9f30"), []byte(name)).String()
}

// A kiosk that lost its connection re-sends a rating, and its database
// stores the copy as a new row (new id, new update time) with the same
// MaPhieu. With identity: [MaPhieu] the copy gets the same message ID, in
// the same batch or a later one, so the outbox drops it as a duplicate
// and counts it; one packet per rating reaches LGSP. Quarantined rows
// keep their row-based IDs.
func TestIdentityDropsResentRatings(t *testing.T) {
	ctx := context.Background()
	r := newRig(t, rigOptions{dossiers: 1})
	src := &memSource{stream: "danh_gia"}
	src.add(
		kioskRow("101", 1, "PDG-1", "1", ""),
		kioskRow("102", 2, "PDG-2", "5", "Chờ quá lâu & <không> được hướng dẫn"),
		kioskRow("103", 3, "PDG-1", "1", ""), // the kiosk re-sent PDG-1
		kioskRow("104", 4, "", "2", ""),      // no form id: cannot be identified
		kioskRow("106", 6, "PDG-3", "4", ""), // dissatisfied without a reason
	)
	p, store := kioskPipeline(t, r, src, ratingMapping(t))

	st, err := p.Poll(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Read != 5 || st.Queued != 2 || st.Duplicates != 1 || st.Quarantined != 2 {
		t.Fatalf("first poll %+v, want 5 read, 2 queued, 1 duplicate, 2 quarantined", st)
	}

	// A later poll brings another copy of PDG-2, built at another time
	// (another ThoiGianTao): still the same message.
	r.clock.Advance(time.Hour)
	src.add(kioskRow("105", 30, "PDG-2", "5", "Chờ quá lâu & <không> được hướng dẫn"))
	st, err = p.Poll(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Read != 1 || st.Queued != 0 || st.Duplicates != 1 {
		t.Fatalf("second poll %+v, want the copy read and dropped as a duplicate", st)
	}
	if tot := p.Totals(); tot.Read != 6 || tot.Queued != 2 || tot.DuplicatesDropped != 2 || tot.Quarantined != 2 {
		t.Errorf("totals %+v, want 6 read, 2 queued, 2 duplicates dropped, 2 quarantined", tot)
	}

	// One packet per form, keyed by the first row that carried it, with
	// the ID of unit | kind | identity.
	want := map[string]string{
		messageID(`000.00.12.H29|DanhGia|MaPhieu="PDG-1"`): "101",
		messageID(`000.00.12.H29|DanhGia|MaPhieu="PDG-2"`): "102",
	}
	pkts := allPackets(t, store)
	if len(pkts) != len(want) {
		t.Fatalf("outbox holds %d packets, want %d", len(pkts), len(want))
	}
	for _, e := range pkts {
		if key, ok := want[e.ID]; !ok || e.RecordKey != key || e.Kind != string(packets.KindRating) {
			t.Errorf("packet %s (record %s, kind %s); want IDs %v", e.ID, e.RecordKey, e.Kind, want)
		}
	}

	// Quarantined rows keep the IDs of their row versions.
	q, err := store.Quarantine(ctx, outbox.Filter{Limit: outbox.MaxQueryLimit})
	if err != nil {
		t.Fatal(err)
	}
	wantQ := map[string]string{
		"104": messageID("000.00.12.H29|danh_gia|104|2026-11-02T02:04:00Z|quarantine"),
		"106": messageID("000.00.12.H29|danh_gia|106|2026-11-02T02:06:00Z|quarantine"),
	}
	if len(q) != len(wantQ) {
		t.Fatalf("quarantine holds %d rows, want %d: %+v", len(q), len(wantQ), q)
	}
	for _, e := range q {
		if wantQ[e.RecordKey] != e.ID {
			t.Errorf("quarantined record %s has ID %s, want %s (row-based)", e.RecordKey, e.ID, wantQ[e.RecordKey])
		}
		if e.RecordKey == "104" && e.Field != "MaPhieu" {
			t.Errorf("record 104 quarantined for %q (%s), want MaPhieu", e.Field, e.Reason)
		}
		if e.RecordKey == "106" && e.Field != "LyDo" {
			t.Errorf("record 106 quarantined for %q (%s), want LyDo", e.Field, e.Reason)
		}
	}

	ds, err := p.DeliverDue(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if ds.Delivered != 2 || ds.Dead != 0 || ds.Retried != 0 {
		t.Fatalf("delivery %+v, want the 2 ratings delivered", ds)
	}
	accepted := r.sb.Accepted()
	if len(accepted) != 2 {
		t.Fatalf("LGSP accepted %d packets, want 2", len(accepted))
	}
	for _, a := range accepted {
		if _, ok := want[a.MessageID]; !ok || a.Kind != string(packets.KindRating) || a.Count != 1 {
			t.Errorf("LGSP accepted %+v; want each rating once under its identity ID", a)
		}
		if !bytes.Contains(a.Body, []byte("<MaGoiTin>"+a.MessageID+"</MaGoiTin>")) {
			t.Errorf("packet %s does not carry its MaGoiTin", a.MessageID)
		}
	}

	// Ratings are signed like every packet: an independent verifier
	// accepts them as stored and sent, escaped reason included.
	xmlsec, err := exec.LookPath("xmlsec1")
	if err != nil {
		t.Fatalf("xmlsec1 is required to check signatures independently (apt-get install xmlsec1): %v", err)
	}
	dir := t.TempDir()
	reasons := 0
	for _, a := range accepted {
		file := filepath.Join(dir, a.MessageID+".xml")
		if err := os.WriteFile(file, a.Body, 0o600); err != nil {
			t.Fatal(err)
		}
		out, err := exec.CommandContext(ctx, xmlsec, "--verify", "--enabled-reference-uris", "empty", "--trusted-pem", r.certFile, file).CombinedOutput()
		if err != nil || !bytes.Contains(out, []byte("OK")) {
			t.Errorf("xmlsec1 rejects rating %s: %v\n%s", a.MessageID, err, out)
		}
		if bytes.Contains(a.Body, []byte("<LyDo>Chờ quá lâu &amp; &lt;không&gt; được hướng dẫn</LyDo>")) {
			reasons++
		}
	}
	if reasons != 1 {
		t.Errorf("%d delivered ratings carry PDG-2's escaped reason, want 1", reasons)
	}
}

// kioskPipeline assembles a pipeline over src with the rig's signer,
// sandbox and clock, and its own outbox.
func kioskPipeline(t *testing.T, r *rig, src connectors.Source, m pipeline.Mapper) (*pipeline.Pipeline, *outbox.Store) {
	t.Helper()
	ctx := context.Background()
	store, err := outbox.Open(ctx, outbox.Options{Path: filepath.Join(r.dir, "ratings.db"), Now: r.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = store.Close() })
	client, err := lgsp.New(lgsp.Options{BaseURL: r.url, ClientID: clientID, ClientSecret: clientSecret, QuickRetries: -1, Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	profile, err := packets.ProfileByName(packets.ProfileHCMLGSP)
	if err != nil {
		t.Fatal(err)
	}
	p, err := pipeline.New(src, m, r.signer, store, client, pipeline.Options{
		UnitCode: "000.00.12.H29", Receiver: "000.00.00.H29", Profile: profile, Endpoints: sandbox.DefaultEndpoints,
		BatchSize: 16, Workers: 2, Lease: time.Minute, BackoffBase: 10 * time.Second, BackoffMax: 10 * time.Minute,
		Now: r.clock.Now, Owner: "test",
	})
	if err != nil {
		t.Fatal(err)
	}

	return p, store
}

// mapOnly hides the mapper's Identity: the pipeline falls back to the
// IDs of row versions.
type mapOnly struct{ m *mapping.Mapper }

func (o mapOnly) Map(stream, key string, values map[string]any) (*packets.Packet, []packets.Issue, error) {
	return o.m.Map(stream, key, values)
}

// Without identity fields each row version is its own message, with the
// ID of unit | stream | row key | update time as before: the re-sent
// copy would reach LGSP twice.
func TestWithoutIdentityRowsAreMessages(t *testing.T) {
	ctx := context.Background()
	r := newRig(t, rigOptions{dossiers: 1})
	src := &memSource{stream: "danh_gia"}
	src.add(kioskRow("101", 1, "PDG-1", "1", ""), kioskRow("103", 3, "PDG-1", "1", ""))
	p, store := kioskPipeline(t, r, src, mapOnly{ratingMapping(t)})
	st, err := p.Poll(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Read != 2 || st.Queued != 2 || st.Duplicates != 0 {
		t.Fatalf("poll %+v, want both rows queued", st)
	}
	want := map[string]string{
		"101": messageID("000.00.12.H29|danh_gia|101|2026-11-02T02:01:00Z"),
		"103": messageID("000.00.12.H29|danh_gia|103|2026-11-02T02:03:00Z"),
	}
	for _, e := range allPackets(t, store) {
		if want[e.RecordKey] != e.ID {
			t.Errorf("record %s has ID %s, want %s", e.RecordKey, e.ID, want[e.RecordKey])
		}
	}
}
