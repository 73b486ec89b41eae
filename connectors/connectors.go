// Package connectors defines the small, stable interface a legacy-system
// connector implements, the registry that names connectors, and the types
// shared with connector authors. The conformance kit lives in
// connectors/connectortest.
package connectors

import (
	"context"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"time"
)

// Cursor is a stream position: the composite (updated, key) of the last
// record handed out. Rows sharing a timestamp are ordered by key so none is
// skipped. The zero Cursor means "from the configured start date".
type Cursor struct {
	Updated time.Time `json:"updated"`
	Key     string    `json:"key"`
}

// IsZero reports whether c is the start position.
func (c Cursor) IsZero() bool { return c.Updated.IsZero() && c.Key == "" }

// After reports whether c is strictly after o in (Updated, Key) order.
// Keys are compared as strings; sources that use numeric keys pad them or
// compare numerically themselves and document it.
func (c Cursor) After(o Cursor) bool {
	if !c.Updated.Equal(o.Updated) {
		return c.Updated.After(o.Updated)
	}
	return c.Key > o.Key
}

// Record is one raw legacy row, before mapping. Values hold column name →
// value as the driver returned it ([]byte for text columns that need
// decoding, time.Time, int64, nil …). Child lists (attachments, fees …) are
// attached as []map[string]any under the child's name.
type Record struct {
	Stream string
	Key    string
	Cursor Cursor
	Values map[string]any
}

// Batch is what one Read returns: at most the requested number of records
// in cursor order, and the cursor to resume from.
type Batch struct {
	Records []Record
	Next    Cursor
	// More is true when the source stopped because of the limit, i.e. a
	// further Read is likely to return records right away.
	More bool
}

// Source reads records incrementally from a legacy system. Implementations
// must be safe to call Read for different streams one after another; the
// pipeline never calls Read concurrently for the same stream.
type Source interface {
	// Streams lists the stream names this source serves, in the order the
	// pipeline should poll them (e.g. ho_so before qua_trinh_xu_ly).
	Streams() []string
	// Start opens connections; it returns quickly.
	Start(ctx context.Context) error
	// Read returns records strictly after the cursor, oldest first.
	Read(ctx context.Context, stream string, after Cursor, limit int) (Batch, error)
	// Shutdown releases resources; it is idempotent and safe without Start.
	Shutdown(ctx context.Context) error
}

// Settings are the shared services a factory hands to the source it builds.
type Settings struct {
	Logger *slog.Logger
	// Now is the clock; nil means time.Now. Tests inject a fixed clock so
	// that time-dependent behaviour (e.g. a source's lag window) is
	// deterministic.
	Now func() time.Time
}

// CheckStatus is the verdict of one installation check.
type CheckStatus string

// Check verdicts, as the doctor prints them.
const (
	CheckOK   CheckStatus = "OK"
	CheckWarn CheckStatus = "WARN"
	CheckFail CheckStatus = "FAIL"
)

// CheckResult is one installation check a source ran against its legacy
// system (connectivity, read permission, indexes …).
type CheckResult struct {
	Name   string
	Status CheckStatus
	Detail string
	Hint   string // what to do, when Status is not OK
}

// Checker is implemented by sources that can check their installation for
// the doctor command. Check runs every check even after failures and
// needs no Start.
type Checker interface {
	Check(ctx context.Context) []CheckResult
}

// Factory builds sources of one type from their configuration.
type Factory interface {
	// Type is the lowercase snake_case name used in YAML (e.g. iso_dientu).
	Type() string
	// CreateDefaultConfig returns a pointer to a config struct filled with
	// defaults; the config loader decodes the user's YAML into it.
	CreateDefaultConfig() any
	// CreateSource validates cfg and builds the source.
	CreateSource(settings Settings, cfg any) (Source, error)
}

// Validator is implemented by connector configs; Validate reports every
// problem at once, each naming its key path.
type Validator interface {
	Validate() []error
}

var (
	registryMu sync.RWMutex
	registry   = map[string]Factory{}
)

// Register adds a factory. It panics on an empty or duplicate name: both
// are programming errors found at start-up.
func Register(f Factory) {
	registryMu.Lock()
	defer registryMu.Unlock()
	name := f.Type()
	if name == "" {
		panic("connectors: Register with empty type name")
	}
	if _, dup := registry[name]; dup {
		panic(fmt.Sprintf("connectors: Register called twice for %q", name))
	}
	registry[name] = f
}

// Lookup returns the factory registered under name.
func Lookup(name string) (Factory, bool) {
	registryMu.RLock()
	defer registryMu.RUnlock()
	f, ok := registry[name]
	return f, ok
}

// Types lists the registered connector names, sorted.
func Types() []string {
	registryMu.RLock()
	defer registryMu.RUnlock()
	out := make([]string, 0, len(registry))
	for k := range registry {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Counter is implemented by sources that can tell how many records lie
// after a cursor, so a backfill can show progress and an ETA.
type Counter interface {
	Count(ctx context.Context, stream string, after Cursor) (int64, error)
}
