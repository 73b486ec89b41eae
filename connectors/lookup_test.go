package connectors

import (
	"context"
	"io"
	"testing"
)

type readOnly struct{}

func (readOnly) Streams() []string                                        { return []string{"ho_so"} }
func (readOnly) Start(context.Context) error                              { return nil }
func (readOnly) Shutdown(context.Context) error                           { return nil }
func (readOnly) Read(context.Context, string, Cursor, int) (Batch, error) { return Batch{}, nil }

type capable struct {
	readOnly
	lookups, files bool
}

func (capable) Lookup(context.Context, string, string) (Record, bool, error) {
	return Record{}, false, nil
}
func (capable) OpenFile(context.Context, string) (io.ReadCloser, FileInfo, error) {
	return nil, FileInfo{}, ErrFileNotFound
}
func (c capable) CanLookup(stream string) bool { return c.lookups && stream == "ho_so" }
func (c capable) ServesFiles() bool            { return c.files }

func TestCapabilityHelpers(t *testing.T) {
	for _, tc := range []struct {
		name          string
		src           Source
		stream        string
		lookup, files bool
	}{
		{"neither interface", readOnly{}, "ho_so", false, false},
		{"both, configured", capable{lookups: true, files: true}, "ho_so", true, true},
		{"both, other stream", capable{lookups: true, files: true}, "qua_trinh_xu_ly", false, true},
		{"both, not configured", capable{}, "ho_so", false, false},
	} {
		if got := LookuperOf(tc.src, tc.stream) != nil; got != tc.lookup {
			t.Errorf("%s: LookuperOf = %v, want %v", tc.name, got, tc.lookup)
		}
		if got := FileSourceOf(tc.src) != nil; got != tc.files {
			t.Errorf("%s: FileSourceOf = %v, want %v", tc.name, got, tc.files)
		}
	}
}
