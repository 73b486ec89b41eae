package sandbox

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sync"
)

// safeID is what a message ID may look like to be used as a file name and
// a URL segment. MaGoiTin is a UUID; this is looser so that the sandbox
// reports "not a UUID" through validation, not through a path error.
var safeID = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$`)

// store keeps accepted packets: metadata for all, bodies up to a memory
// bound, and optionally every body on disk.
type store struct {
	dir      string
	maxBytes int64

	mu       sync.Mutex
	byID     map[string]*Accepted
	order    []*Accepted
	memBytes int64
	full     bool // memory bound reached at least once
}

func newStore(dir string, maxBytes int64) (*store, error) {
	if dir != "" {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return nil, fmt.Errorf("sandbox store directory %q: %w", dir, err)
		}
	}
	return &store{dir: dir, maxBytes: maxBytes, byID: map[string]*Accepted{}}, nil
}

// putResult says what put did with a packet.
type putResult int

const (
	putNew putResult = iota
	putDuplicate
	putConflict // same message ID, different bytes
)

// put records a packet. A message ID seen before is a duplicate when the
// bytes are identical and a conflict otherwise: a sender must send the
// bytes it signed, unchanged, on every retry.
func (st *store) put(a Accepted, body []byte) (putResult, Accepted, bool) {
	sum := sha256.Sum256(body)
	a.SHA256 = hex.EncodeToString(sum[:])
	a.Size = len(body)

	st.mu.Lock()
	defer st.mu.Unlock()
	if old, ok := st.byID[a.MessageID]; ok {
		if old.SHA256 != a.SHA256 {
			return putConflict, *old, false
		}
		old.Count++
		return putDuplicate, *old, false
	}
	a.Count = 1
	firstFull := false
	if st.memBytes+int64(len(body)) <= st.maxBytes {
		a.Body = body
		st.memBytes += int64(len(body))
	} else if !st.full {
		st.full, firstFull = true, true
	}
	stored := &a
	st.byID[a.MessageID] = stored
	st.order = append(st.order, stored)
	return putNew, *stored, firstFull
}

// path is where a packet's body lives on disk.
func (st *store) path(a Accepted) string {
	ext := ".xml"
	if a.Profile == "dvcqg" {
		ext = ".json"
	}
	return filepath.Join(st.dir, a.Profile, a.Kind, a.MessageID+ext)
}

// write saves a new packet's body under dir atomically (temp file, then
// rename), so a reader never sees half a packet.
func (st *store) write(a Accepted, body []byte) error {
	if st.dir == "" {
		return nil
	}
	if !safeID.MatchString(a.MessageID) || !safeID.MatchString(a.Kind) {
		return fmt.Errorf("message ID %q or kind %q cannot be a file name", a.MessageID, a.Kind)
	}
	final := st.path(a)
	if err := os.MkdirAll(filepath.Dir(final), 0o750); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(final), ".incoming-*")
	if err != nil {
		return err
	}
	_, werr := tmp.Write(body)
	cerr := tmp.Close()
	if werr != nil || cerr != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("write %s: %w", final, errors.Join(werr, cerr))
	}
	if err := os.Rename(tmp.Name(), final); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return nil
}

// body returns a packet's bytes from memory or disk.
func (st *store) body(a Accepted) ([]byte, bool) {
	if a.Body != nil {
		return a.Body, true
	}
	if st.dir == "" {
		return nil, false
	}
	b, err := os.ReadFile(st.path(a))
	if err != nil {
		return nil, false
	}
	return b, true
}

func (st *store) get(id string) (Accepted, bool) {
	st.mu.Lock()
	defer st.mu.Unlock()
	a, ok := st.byID[id]
	if !ok {
		return Accepted{}, false
	}
	return *a, true
}

// list returns packets in arrival order, filtered by kind, skipping offset,
// at most limit (negative: all).
func (st *store) list(kind string, offset, limit int) []Accepted {
	st.mu.Lock()
	defer st.mu.Unlock()
	out := make([]Accepted, 0, min(max(limit, 0), len(st.order)))
	for _, a := range st.order {
		if kind != "" && a.Kind != kind {
			continue
		}
		if offset > 0 {
			offset--
			continue
		}
		if limit >= 0 && len(out) >= limit {
			break
		}
		out = append(out, *a)
	}
	return out
}

// count returns how many packets match kind.
func (st *store) count(kind string) int {
	st.mu.Lock()
	defer st.mu.Unlock()
	if kind == "" {
		return len(st.order)
	}
	n := 0
	for _, a := range st.order {
		if a.Kind == kind {
			n++
		}
	}
	return n
}
