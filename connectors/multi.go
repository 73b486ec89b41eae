package connectors

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"
)

// NamedSource is one member of a Multi: a source and the name it is known
// by in errors and checks. The name should say where the source is
// configured (the configuration uses its key path: "source",
// "sources.khao_sat"), so a message leads the user to the right section.
type NamedSource struct {
	Name   string
	Source Source
}

// Multi returns one Source serving the streams of several: a unit's
// survey system usually lives apart from its one-stop software (a kiosk
// vendor's database, an HTTP API), yet the pipeline polls one Source.
//
// Streams are the members' streams in member order, each member's in its
// own order; a stream name served by two members is an error naming both,
// because a stream's cursor and mapping are kept by name alone. Read and
// every optional capability that takes a stream (Counter, PeriodReader,
// Lookuper, ExplainPeriod) go to the member serving the stream; when that
// member lacks the capability the call fails with an error wrapping
// errors.ErrUnsupported that names the member and the stream. Checker
// concatenates the members' checks, each name prefixed with its member's.
// FileSource references carry no stream, so at most one member may serve
// files (see ServesFiles); Multi refuses two.
//
// Start starts every member and Shutdown shuts every member down even
// when some fail, joining their errors. Records pass through unchanged,
// including a *RecordError a member attached.
func Multi(members ...NamedSource) (Source, error) {
	if len(members) == 0 {
		return nil, errors.New("connectors: Multi needs at least one source")
	}
	m := &multi{byStream: map[string]int{}, files: -1}
	names := map[string]bool{}
	for i, ns := range members {
		switch {
		case strings.TrimSpace(ns.Name) == "":
			return nil, fmt.Errorf("connectors: Multi: source %d has no name", i+1)
		case names[ns.Name]:
			return nil, fmt.Errorf("connectors: Multi: two sources are named %q", ns.Name)
		case ns.Source == nil:
			return nil, fmt.Errorf("connectors: Multi: source %q is nil", ns.Name)
		}
		names[ns.Name] = true
		for _, stream := range ns.Source.Streams() {
			if j, dup := m.byStream[stream]; dup {
				if j == i {
					return nil, fmt.Errorf("connectors: Multi: source %q lists stream %q twice", ns.Name, stream)
				}
				return nil, fmt.Errorf("luồng %q có ở cả hai nguồn %s và %s; tên luồng phải khác nhau / stream %q is served by both %s and %s; stream names must be unique across sources",
					stream, members[j].Name, ns.Name, stream, members[j].Name, ns.Name)
			}
			m.byStream[stream] = i
			m.streams = append(m.streams, stream)
		}
		if FileSourceOf(ns.Source) != nil {
			if m.files >= 0 {
				return nil, fmt.Errorf("cả hai nguồn %s và %s đều phục vụ tệp đính kèm; chỉ một nguồn được phục vụ tệp / both %s and %s serve attachment files; a file reference does not say which source it belongs to, so only one source may serve files",
					members[m.files].Name, ns.Name, members[m.files].Name, ns.Name)
			}
			m.files = i
		}
	}
	m.members = append([]NamedSource(nil), members...)
	return m, nil
}

// multi is the Source Multi returns. It holds no mutable state after
// construction, so it is as safe for concurrent use as its members.
type multi struct {
	members  []NamedSource
	streams  []string
	byStream map[string]int // stream → index in members
	files    int            // index of the member serving files, -1 for none
}

func (m *multi) Streams() []string { return append([]string(nil), m.streams...) }

// Start starts every member, in order. If any fails, those that started
// are shut down again and the failures are returned together, each naming
// its member.
func (m *multi) Start(ctx context.Context) error {
	var errs []error
	started := make([]NamedSource, 0, len(m.members))
	for _, ns := range m.members {
		if err := ns.Source.Start(ctx); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", ns.Name, err))
			continue
		}
		started = append(started, ns)
	}
	if len(errs) == 0 {
		return nil
	}
	for _, ns := range started {
		if err := ns.Source.Shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("%s: shutdown after a failed start: %w", ns.Name, err))
		}
	}
	return errors.Join(errs...)
}

// Shutdown shuts every member down, even after a failure, and joins the
// errors. Members' Shutdown is idempotent, so this is too.
func (m *multi) Shutdown(ctx context.Context) error {
	var errs []error
	for _, ns := range m.members {
		if err := ns.Source.Shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", ns.Name, err))
		}
	}
	return errors.Join(errs...)
}

// member returns the member serving stream, or an error listing the
// streams there are.
func (m *multi) member(stream string) (NamedSource, error) {
	i, ok := m.byStream[stream]
	if !ok {
		known := append([]string(nil), m.streams...)
		sort.Strings(known)
		return NamedSource{}, fmt.Errorf("không nguồn nào có luồng %q / no source serves stream %q (streams: %s)",
			stream, stream, strings.Join(known, ", "))
	}
	return m.members[i], nil
}

// unsupported is the error of a capability the stream's member lacks.
func unsupported(ns NamedSource, stream, what string) error {
	return fmt.Errorf("%s: nguồn này không %s (luồng %q) / this source cannot %s (stream %q): %w",
		ns.Name, what, stream, what, stream, errors.ErrUnsupported)
}

func (m *multi) Read(ctx context.Context, stream string, after Cursor, limit int) (Batch, error) {
	ns, err := m.member(stream)
	if err != nil {
		return Batch{}, err
	}
	b, err := ns.Source.Read(ctx, stream, after, limit)
	if err != nil {
		return b, fmt.Errorf("%s: %w", ns.Name, err)
	}
	return b, nil
}

// Count implements Counter for the member serving stream.
func (m *multi) Count(ctx context.Context, stream string, after Cursor) (int64, error) {
	ns, err := m.member(stream)
	if err != nil {
		return 0, err
	}
	c, ok := ns.Source.(Counter)
	if !ok {
		return 0, unsupported(ns, stream, "count records")
	}
	n, err := c.Count(ctx, stream, after)
	if err != nil {
		return n, fmt.Errorf("%s: %w", ns.Name, err)
	}
	return n, nil
}

// ReadPeriod implements PeriodReader for the member serving stream. An
// error fn returns comes back wrapped with the member's name; errors.Is
// and errors.As still find it.
func (m *multi) ReadPeriod(ctx context.Context, stream string, from, to time.Time, fn func(Record) error) error {
	ns, err := m.member(stream)
	if err != nil {
		return err
	}
	pr, ok := ns.Source.(PeriodReader)
	if !ok {
		return unsupported(ns, stream, "read a reporting period")
	}
	if err := pr.ReadPeriod(ctx, stream, from, to, fn); err != nil {
		return fmt.Errorf("%s: %w", ns.Name, err)
	}
	return nil
}

// periodExplainer is the optional query-plan report of a period read.
type periodExplainer interface {
	ExplainPeriod(ctx context.Context, stream string, from, to time.Time) (string, []string, error)
}

// ExplainPeriod forwards the query plan of a period read to the member
// serving stream, when it can show one.
func (m *multi) ExplainPeriod(ctx context.Context, stream string, from, to time.Time) (string, []string, error) {
	ns, err := m.member(stream)
	if err != nil {
		return "", nil, err
	}
	ex, ok := ns.Source.(periodExplainer)
	if !ok {
		return "", nil, unsupported(ns, stream, "explain its period query")
	}
	plan, full, err := ex.ExplainPeriod(ctx, stream, from, to)
	if err != nil {
		return plan, full, fmt.Errorf("%s: %w", ns.Name, err)
	}
	return plan, full, nil
}

// CanLookup reports whether the member serving stream can look its
// records up (see LookuperOf).
func (m *multi) CanLookup(stream string) bool {
	i, ok := m.byStream[stream]
	return ok && LookuperOf(m.members[i].Source, stream) != nil
}

// Lookup implements Lookuper for the member serving stream. ErrAmbiguous
// stays visible to errors.Is.
func (m *multi) Lookup(ctx context.Context, stream, maHoSo string) (Record, bool, error) {
	ns, err := m.member(stream)
	if err != nil {
		return Record{}, false, err
	}
	l, ok := ns.Source.(Lookuper)
	if !ok {
		return Record{}, false, unsupported(ns, stream, "look records up by MaHoSo")
	}
	rec, found, err := l.Lookup(ctx, stream, maHoSo)
	if err != nil {
		return rec, found, fmt.Errorf("%s: %w", ns.Name, err)
	}
	return rec, found, nil
}

// ServesFiles reports whether a member serves files (see FileSourceOf).
func (m *multi) ServesFiles() bool { return m.files >= 0 }

// OpenFile opens ref through the one member that serves files.
// ErrFileNotFound and ErrFileRejected stay visible to errors.Is.
func (m *multi) OpenFile(ctx context.Context, ref string) (io.ReadCloser, FileInfo, error) {
	if m.files < 0 {
		return nil, FileInfo{}, fmt.Errorf("file %q: %w: no source serves files", ref, ErrFileNotFound)
	}
	ns := m.members[m.files]
	rc, info, err := ns.Source.(FileSource).OpenFile(ctx, ref)
	if err != nil {
		return rc, info, fmt.Errorf("%s: %w", ns.Name, err)
	}
	return rc, info, nil
}

// Check runs every member's checks, even after failures, naming each
// check "<member>: <check>". A member without checks gets one WARN line
// saying so: nothing was verified for it.
func (m *multi) Check(ctx context.Context) []CheckResult {
	var out []CheckResult
	for _, ns := range m.members {
		ch, ok := ns.Source.(Checker)
		if !ok {
			out = append(out, CheckResult{
				Name: ns.Name, Status: CheckWarn,
				Detail: "nguồn này không có bước tự kiểm tra / this source has no installation checks",
				Hint:   "kiểm tra nguồn này bằng cách chạy thử / check this source with a trial run",
			})
			continue
		}
		for _, r := range ch.Check(ctx) {
			r.Name = ns.Name + ": " + r.Name
			out = append(out, r)
		}
	}
	return out
}

var (
	_ Source       = (*multi)(nil)
	_ Counter      = (*multi)(nil)
	_ PeriodReader = (*multi)(nil)
	_ Lookuper     = (*multi)(nil)
	_ FileSource   = (*multi)(nil)
	_ Checker      = (*multi)(nil)
)
