package hardening_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hcmc-lgsp/lgsp-connector/internal/app"
	"github.com/hcmc-lgsp/lgsp-connector/internal/demo"
	"github.com/hcmc-lgsp/lgsp-connector/internal/outbox"
	"github.com/hcmc-lgsp/lgsp-connector/internal/sampledata"
	"github.com/hcmc-lgsp/lgsp-connector/internal/sandbox"

	_ "modernc.org/sqlite" // the sample legacy database and the integrity check
)

// diskFullEnv forces one way of filling the store's disk: "tmpfs" (a small
// tmpfs volume filled with a filler file; needs root) or "rlimit" (a
// file-size limit on this process, RLIMIT_FSIZE, which needs no privilege
// and makes writes fail with EFBIG). Unset: tmpfs, or rlimit when mounting
// is not permitted.
const diskFullEnv = "LGSP_HARDENING_DISKFULL"

// volumeSize holds the first phase's packets and the WAL frames their
// delivery writes (about 2 MiB), with room to spare before the filler.
const volumeSize = "8m"

// fullDisk is a way to make the store's writes fail and then succeed again.
type fullDisk interface {
	fill(t *testing.T)
	free(t *testing.T)
	String() string
}

// TestStoreDiskFull runs the connector with its outbox on a small volume,
// fills the volume, and checks the promise for a full disk: the poll that
// cannot commit fails with outbox.ErrStoreFull and says so in the log, the
// stream cursors do not move, what was stored is intact; once space is
// freed the next poll picks the records up and every packet is delivered
// exactly once.
func TestStoreDiskFull(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	vol := filepath.Join(dir, "vol")
	if err := os.Mkdir(vol, 0o700); err != nil {
		t.Fatal(err)
	}
	disk := newFullDisk(t, vol)
	t.Logf("disk full by %s", disk)

	legacyPath := filepath.Join(dir, "legacy.db")
	legacy, err := sql.Open("sqlite", "file:"+legacyPath+"?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	defer legacy.Close()
	if err := sampledata.CreateSchema(ctx, legacy, sampledata.SQLite); err != nil {
		t.Fatal(err)
	}
	const dossiers = 60
	gen, err := sampledata.Generate(ctx, legacy, sampledata.SQLite, sampledata.Options{Seed: 5, Dossiers: dossiers, MaxStepsPerDossier: 2})
	if err != nil {
		t.Fatal(err)
	}

	sf := newSigningFiles(t, dir)
	sb, url := startSandbox(t, sandbox.Options{ClientID: sandboxClientID, ClientSecret: "disk-secret", Verify: sf.verifier.VerifyBytes}, nil)
	storePath := filepath.Join(vol, "outbox.db")
	yaml, err := demo.RenderConfig(demo.ConfigParams{
		Driver: "sqlite", LegacyDSN: "file:" + legacyPath + "?mode=ro", LGSPURL: url, ClientSecret: "disk-secret",
		CertFile: sf.certFile, KeyFile: sf.keyFile, StorePath: storePath,
	})
	if err != nil {
		t.Fatal(err)
	}
	var logs lockedBuffer
	a := build(t, yaml, dir, app.Options{Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})

	// Phase 1: a normal run.
	drain(t, a, time.Minute)
	first := gen.Dossiers + gen.Steps
	if got := sb.Stats().Unique; got != first {
		t.Fatalf("first run delivered %d packets, want %d", got, first)
	}

	// Desk activity: each change makes a new dossier version and a new
	// step. The first half is read and queued before the disk fills, so
	// there is something to deliver; the second half is read after.
	const changed = 2 * 15
	at := time.Date(2026, 11, 15, 8, 0, 0, 0, time.FixedZone("ICT", 7*3600))
	advance := func(from, to int64) {
		for id := from; id <= to; id++ {
			if err := sampledata.Advance(ctx, legacy, id, at.Add(time.Duration(id)*time.Minute)); err != nil {
				t.Fatal(err)
			}
		}
	}
	advance(1, changed/2)
	if st, err := a.Pipeline.Poll(ctx); err != nil || st.Queued != changed {
		t.Fatalf("poll before the disk fills: %+v, %v; want %d queued", st, err, changed)
	}
	advance(changed/2+1, changed)

	// Checkpoint the WAL into the database file and empty it, so the next
	// commit has to claim new blocks (otherwise it may reuse WAL space and
	// succeed on a full disk, which proves nothing).
	checkpointTruncate(t, storePath)
	before := storeSnapshot(t, a.Store)
	received := sb.Stats().Received
	disk.fill(t)
	st, err := a.Pipeline.Poll(ctx)
	if !errors.Is(err, outbox.ErrStoreFull) {
		disk.free(t)
		t.Fatalf("poll on a full disk: err = %v, want outbox.ErrStoreFull", err)
	}
	t.Logf("poll on a full disk: %v", err)
	if st.Queued != 0 || st.Quarantined != 0 {
		t.Errorf("poll on a full disk reports %d queued, %d quarantined", st.Queued, st.Quarantined)
	}
	if !strings.Contains(logs.String(), "disk is full") {
		t.Errorf("no log line tells the operator the disk is full; log:\n%s", logs.String())
	}
	// Delivery cannot record a lease either: it must send nothing rather
	// than send without a record of it.
	if _, err := a.Pipeline.DeliverDue(ctx); !errors.Is(err, outbox.ErrStoreFull) {
		t.Errorf("delivery on a full disk: err = %v, want outbox.ErrStoreFull", err)
	}
	if got := sb.Stats().Received; got != received {
		t.Errorf("%d packets sent while the disk was full, want none", got-received)
	}
	// While the disk is still full: nothing moved, nothing was damaged.
	if after := storeSnapshot(t, a.Store); !after.equal(before) {
		t.Errorf("store changed by a failed commit:\nbefore %+v\nafter  %+v", before, after)
	}
	checkIntegrity(t, storePath)
	checkBodies(t, a.Store)
	// Space returns: the same connector, without a restart, catches up on
	// its next poll.
	disk.free(t)
	drain(t, a, time.Minute)
	want := first + 2*changed
	stats := sb.Stats()
	if stats.Unique != want || stats.Duplicates != 0 || stats.Accepted != want {
		t.Errorf("sandbox after recovery: %d unique, %d accepted, %d duplicates; want %d unique, each once", stats.Unique, stats.Accepted, stats.Duplicates, want)
	}
	for _, p := range sb.Accepted() {
		if p.Count != 1 {
			t.Errorf("packet %s (%s %s) received %d times", p.MessageID, p.Kind, p.MaHoSo, p.Count)
		}
	}
	c, err := a.Store.Counts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if c.Delivered != want || c.Pending+c.InFlight+c.Dead != 0 {
		t.Errorf("outbox after recovery %+v, want %d delivered and nothing else", c, want)
	}
	checkIntegrity(t, storePath)
}

// snapshot is what a failed commit must leave as it was.
type snapshot struct {
	cursors map[string]string
	counts  outbox.Counts
}

func (s snapshot) equal(o snapshot) bool {
	if len(s.cursors) != len(o.cursors) {
		return false
	}
	for k, v := range s.cursors {
		if o.cursors[k] != v {
			return false
		}
	}
	return s.counts == o.counts
}

func storeSnapshot(t *testing.T, st *outbox.Store) snapshot {
	t.Helper()
	ctx := context.Background()
	s := snapshot{cursors: map[string]string{}}
	for _, stream := range []string{"ho_so", "qua_trinh_xu_ly"} {
		c, err := st.Cursor(ctx, stream)
		if err != nil {
			t.Fatal(err)
		}
		if c == nil {
			t.Fatalf("stream %s has no cursor after the first run", stream)
		}
		s.cursors[stream] = string(c)
	}
	var err error
	if s.counts, err = st.Counts(ctx); err != nil {
		t.Fatal(err)
	}
	return s
}

// checkpointTruncate empties the store's WAL from a second connection, as
// `lgsp-connector log` or any other process may hold one.
func checkpointTruncate(t *testing.T, path string) {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var busy, logPages, done int
	if err := db.QueryRow(`PRAGMA wal_checkpoint(TRUNCATE)`).Scan(&busy, &logPages, &done); err != nil {
		t.Fatal(err)
	}
	if busy != 0 {
		t.Fatalf("WAL checkpoint blocked (busy %d, %d of %d pages)", busy, done, logPages)
	}
}

// checkIntegrity runs SQLite's own consistency check on the store file
// through a read-only connection (a full disk admits no writer).
func checkIntegrity(t *testing.T, path string) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var res string
	if err := db.QueryRow(`PRAGMA integrity_check`).Scan(&res); err != nil {
		t.Fatalf("integrity check: %v", err)
	}
	if res != "ok" {
		t.Errorf("store integrity check: %s", res)
	}
}

// checkBodies reads every stored packet back and compares its body with
// the hash recorded when it was committed.
func checkBodies(t *testing.T, st *outbox.Store) {
	t.Helper()
	n := 0
	err := st.Each(context.Background(), "", func(p outbox.Packet) error {
		n++
		sum := sha256.Sum256(p.Body)
		if hex.EncodeToString(sum[:]) != p.SHA256 || !bytes.Contains(p.Body, []byte("<GoiTin")) {
			t.Errorf("packet %s: stored body does not match its hash", p.ID)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n == 0 {
		t.Error("no stored packet to check")
	}
}

func newFullDisk(t *testing.T, vol string) fullDisk {
	t.Helper()
	mode := os.Getenv(diskFullEnv)
	if mode == "" || mode == "tmpfs" {
		err := syscall.Mount("tmpfs", vol, "tmpfs", syscall.MS_NOSUID|syscall.MS_NODEV, "size="+volumeSize+",mode=0700")
		if err == nil {
			t.Cleanup(func() {
				if err := syscall.Unmount(vol, 0); err != nil {
					_ = syscall.Unmount(vol, syscall.MNT_DETACH)
				}
			})
			return &tmpfsFiller{dir: vol}
		}
		if mode == "tmpfs" {
			t.Fatalf("mount tmpfs on %s: %v (the tmpfs mode needs root or CAP_SYS_ADMIN)", vol, err)
		}
		t.Logf("cannot mount a tmpfs (%v): using a file-size limit instead", err)
	} else if mode != "rlimit" {
		t.Fatalf("%s=%q: want tmpfs or rlimit", diskFullEnv, mode)
	}
	return &fsizeLimit{}
}

// tmpfsFiller fills a tmpfs volume with one file until the kernel says
// ENOSPC.
type tmpfsFiller struct {
	dir  string
	path string
}

func (f *tmpfsFiller) String() string { return "a " + volumeSize + " tmpfs filled with a filler file" }

func (f *tmpfsFiller) fill(t *testing.T) {
	t.Helper()
	f.path = filepath.Join(f.dir, "filler")
	file, err := os.OpenFile(f.path, os.O_CREATE|os.O_WRONLY|os.O_EXCL, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	written := 0
	// Large writes first, then page-sized ones so no free block remains.
	for _, size := range []int{1 << 20, 4096, 1} {
		chunk := make([]byte, size)
		for {
			n, err := file.Write(chunk)
			written += n
			if err == nil {
				continue
			}
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatalf("filler: %v", err)
			}
			break
		}
	}
	t.Logf("filler: %d bytes until ENOSPC", written)
}

func (f *tmpfsFiller) free(t *testing.T) {
	t.Helper()
	if err := os.Remove(f.path); err != nil {
		t.Fatal(err)
	}
}

// fsizeLimit lowers this process's soft RLIMIT_FSIZE to zero, so every
// write to a regular file fails with EFBIG (Go ignores SIGXFSZ), and
// restores it. Nothing else in this package writes files meanwhile.
type fsizeLimit struct {
	saved syscall.Rlimit
	set   bool
}

func (l *fsizeLimit) String() string { return "a zero file-size limit (RLIMIT_FSIZE)" }

func (l *fsizeLimit) fill(t *testing.T) {
	t.Helper()
	if err := syscall.Getrlimit(syscall.RLIMIT_FSIZE, &l.saved); err != nil {
		t.Fatal(err)
	}
	lim := l.saved
	lim.Cur = 0
	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &lim); err != nil {
		t.Fatal(err)
	}
	l.set = true
	t.Cleanup(func() { l.free(t) })
}

func (l *fsizeLimit) free(t *testing.T) {
	t.Helper()
	if !l.set {
		return
	}
	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &l.saved); err != nil {
		t.Fatal(err)
	}
	l.set = false
}

// lockedBuffer is a log sink for several goroutines.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
