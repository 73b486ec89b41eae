package pipeline_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/hcmc-lgsp/lgsp-connector/internal/outbox"
	"github.com/hcmc-lgsp/lgsp-connector/internal/sampledata"
)

// idsByRecord maps each source record to its packet's message ID; it fails
// on a record with two packets.
func idsByRecord(t *testing.T, es []outbox.Entry) map[recordRef]string {
	t.Helper()
	out := map[recordRef]string{}
	for _, e := range es {
		ref := recordRef{e.Stream, e.RecordKey}
		if prev, dup := out[ref]; dup {
			t.Fatalf("record %v has two packets %s and %s", ref, prev, e.ID)
		}
		out[ref] = e.ID
	}
	return out
}

// The same row version always gets the same MaGoiTin, whichever outbox
// reads it; re-reading rows already queued drops them as duplicates; a
// row updated in the legacy database is a new version with a new ID.
func TestMessageIDsAreDeterministicPerRowVersion(t *testing.T) {
	ctx := context.Background()
	r := newRig(t, rigOptions{dossiers: 12, maxSteps: 2})
	want := r.gen.Dossiers + r.gen.Steps

	pa, storeA := r.pipeline(t, build{store: "a.db"})
	st, err := pa.Poll(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Read != want || st.Queued != want || st.Duplicates != 0 || st.Quarantined != 0 {
		t.Fatalf("first poll %+v, want %d read and queued", st, want)
	}
	idsA := idsByRecord(t, allPackets(t, storeA))
	seen := map[string]bool{}
	for ref, id := range idsA {
		u, err := uuid.Parse(id)
		if err != nil || u.Version() != 5 {
			t.Errorf("record %v: message ID %q is not a name-based (v5) UUID", ref, id)
		}
		if seen[id] {
			t.Errorf("message ID %s used twice", id)
		}
		seen[id] = true
		p, err := storeA.Get(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(p.Body, []byte("<MaGoiTin>"+id+"</MaGoiTin>")) {
			t.Errorf("packet %s: its body does not carry that MaGoiTin", id)
		}
	}

	// A fresh outbox reads the same rows from the start: same IDs.
	pb, storeB := r.pipeline(t, build{store: "b.db"})
	if _, err := pb.Poll(ctx); err != nil {
		t.Fatal(err)
	}
	idsB := idsByRecord(t, allPackets(t, storeB))
	if len(idsB) != len(idsA) {
		t.Fatalf("second outbox has %d packets, first %d", len(idsB), len(idsA))
	}
	for ref, id := range idsA {
		if idsB[ref] != id {
			t.Errorf("record %v: message ID %s in one outbox, %s in the other", ref, id, idsB[ref])
		}
	}

	// Rewind outbox A's cursors (as after restoring an old backup): every
	// batch is committed again and every packet dropped as a duplicate.
	for _, stream := range []string{"ho_so", "qua_trinh_xu_ly"} {
		if _, err := storeA.Commit(ctx, stream, []byte(`{}`), nil, nil); err != nil {
			t.Fatal(err)
		}
	}
	st, err = pa.Poll(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Read != want || st.Queued != 0 || st.Duplicates != want {
		t.Errorf("re-read poll %+v, want %d read, 0 queued, %d duplicates", st, want, want)
	}
	if tot := pa.Totals(); tot.DuplicatesDropped != int64(want) || tot.Queued != int64(want) || tot.Read != int64(2*want) {
		t.Errorf("totals %+v, want %d duplicates dropped, %d queued, %d read", tot, want, want, 2*want)
	}
	if c := counts(t, storeA); c.Pending != want {
		t.Errorf("outbox A holds %d pending packets after the re-read, want %d", c.Pending, want)
	}

	// An officer acts on dossier 3: the dossier row gets a new update time
	// and a new step is written. Both are new versions with new IDs.
	at := time.Date(2026, 12, 20, 9, 0, 0, 0, time.FixedZone("ICT", 7*3600))
	if err := sampledata.Advance(ctx, r.legacy, 3, at); err != nil {
		t.Fatal(err)
	}
	st, err = pa.Poll(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Read != 2 || st.Queued != 2 || st.Duplicates != 0 {
		t.Fatalf("poll after the change %+v, want the dossier and its new step queued", st)
	}
	var newDossierID string
	for _, e := range allPackets(t, storeA)[want:] {
		if e.Stream == "ho_so" {
			newDossierID = e.ID
		}
	}
	old := idsA[recordRef{"ho_so", "3"}]
	if newDossierID == "" || newDossierID == old {
		t.Fatalf("changed dossier 3 got message ID %q, want a new one (old %s)", newDossierID, old)
	}
	if p, err := storeA.Get(ctx, old); err != nil || p.RecordKey != "3" {
		t.Errorf("the old version's packet %s is gone: %v", old, err)
	}

	// The new version's ID is deterministic too.
	pc, storeC := r.pipeline(t, build{store: "c.db"})
	if _, err := pc.Poll(ctx); err != nil {
		t.Fatal(err)
	}
	idsC := idsByRecord(t, allPackets(t, storeC))
	if got := idsC[recordRef{"ho_so", "3"}]; got != newDossierID {
		t.Errorf("a fresh outbox gave the changed dossier ID %s, want %s", got, newDossierID)
	}
	if got := idsC[recordRef{"ho_so", "4"}]; got != idsA[recordRef{"ho_so", "4"}] {
		t.Errorf("an unchanged dossier changed ID: %s, was %s", got, idsA[recordRef{"ho_so", "4"}])
	}
}
