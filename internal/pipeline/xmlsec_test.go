package pipeline_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/hcmc-lgsp/lgsp-connector/internal/outbox"
)

// Every kind of signed packet the pipeline produces, exactly as stored
// and sent, verifies with an independent XML-DSig implementation.
func TestDeliveredPacketsVerifyWithXmlsec1(t *testing.T) {
	xmlsec, err := exec.LookPath("xmlsec1")
	if err != nil {
		t.Fatalf("xmlsec1 is required to check signatures independently (apt-get install xmlsec1): %v", err)
	}
	ctx := context.Background()
	r := newRig(t, rigOptions{dossiers: 6, maxSteps: 2})
	p, st := r.pipeline(t, build{})
	n := pollAll(t, p)
	if ds := deliverDue(t, p); ds.Delivered != n {
		t.Fatalf("delivery %+v, want all %d delivered", ds, n)
	}

	// Per kind: the first few packets, and for dossiers at least one with
	// several submitted documents.
	const perKind = 3
	picked := map[string]int{}
	withDocs := 0
	dir := t.TempDir()
	for _, e := range allPackets(t, st) {
		pk, err := st.Get(ctx, e.ID)
		if err != nil {
			t.Fatal(err)
		}
		docs := bytes.Count(pk.Body, []byte("<TaiLieu>"))
		if picked[pk.Kind] >= perKind && !(pk.Kind == "HoSo" && docs > 1 && withDocs == 0) {
			continue
		}
		picked[pk.Kind]++
		if docs > 1 {
			withDocs++
		}
		if pk.State != outbox.StateDelivered {
			t.Errorf("packet %s is %s", pk.ID, pk.State)
		}
		// What LGSP stored is what the outbox holds, byte for byte.
		a, ok := r.sb.Packet(pk.ID)
		sum := sha256.Sum256(pk.Body)
		if !ok || a.SHA256 != hex.EncodeToString(sum[:]) || a.SHA256 != pk.SHA256 {
			t.Errorf("packet %s: the sandbox holds other bytes than the outbox", pk.ID)
		}
		file := filepath.Join(dir, pk.Kind+"-"+pk.ID+".xml")
		if err := os.WriteFile(file, pk.Body, 0o600); err != nil {
			t.Fatal(err)
		}
		out, err := exec.CommandContext(ctx, xmlsec, "--verify", "--enabled-reference-uris", "empty", "--trusted-pem", r.certFile, file).CombinedOutput()
		if err != nil || !bytes.Contains(out, []byte("OK")) {
			t.Errorf("xmlsec1 rejects %s packet %s: %v\n%s", pk.Kind, pk.ID, err, out)
		}
	}
	t.Logf("xmlsec1 verified %v packets (%d dossiers with several documents)", picked, withDocs)
	if picked["HoSo"] == 0 || picked["TienDoXuLy"] == 0 || withDocs == 0 {
		t.Errorf("checked %v packets, %d with several documents; want HoSo with TaiLieuNop and TienDoXuLy", picked, withDocs)
	}

	// The check itself can fail: one altered byte breaks the signature.
	files, _ := filepath.Glob(filepath.Join(dir, "HoSo-*.xml"))
	if len(files) == 0 {
		t.Fatal("no dossier packet was written")
	}
	body, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	tampered := bytes.Replace(body, []byte("<TrangThaiHoSo>"), []byte("<TrangThaiHoSo>1"), 1)
	if bytes.Equal(tampered, body) {
		t.Fatal("could not tamper with the packet")
	}
	bad := filepath.Join(dir, "tampered.xml")
	if err := os.WriteFile(bad, tampered, 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.CommandContext(ctx, xmlsec, "--verify", "--enabled-reference-uris", "empty", "--trusted-pem", r.certFile, bad).CombinedOutput(); err == nil {
		t.Errorf("xmlsec1 accepted a tampered packet:\n%s", out)
	}
}
