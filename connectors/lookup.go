package connectors

import (
	"context"
	"errors"
	"io"
)

// Lookuper is implemented by sources that can fetch one record by its
// dossier code on demand, for the inbound API the national portal calls
// (TraCuuHoSo). The record has the same shape Read gives (values and child
// lists), so the stream's mapping applies unchanged; its Cursor is the
// row's position but means nothing to the caller.
type Lookuper interface {
	// Lookup returns the record of stream whose dossier code is maHoSo.
	// found is false (and err nil) when there is none. More than one
	// matching row is an error wrapping ErrAmbiguous: the code must
	// identify one dossier, and guessing which would answer the portal
	// with someone else's dossier.
	Lookup(ctx context.Context, stream, maHoSo string) (rec Record, found bool, err error)
}

// LookuperOf returns src as a Lookuper for stream, or nil when it cannot
// look records of that stream up: it does not implement Lookuper, or it
// has a method CanLookup(stream string) bool that says the stream is not
// configured for lookups.
func LookuperOf(src Source, stream string) Lookuper {
	l, ok := src.(Lookuper)
	if !ok {
		return nil
	}
	if c, ok := src.(interface{ CanLookup(stream string) bool }); ok && !c.CanLookup(stream) {
		return nil
	}
	return l
}

// ErrAmbiguous is wrapped by Lookup when several rows share the code.
var ErrAmbiguous = errors.New("more than one record has this code")

// FileInfo describes a file a FileSource opened.
type FileInfo struct {
	// Name is the file name offered to the downloader (may hold any
	// Unicode; the HTTP layer encodes it).
	Name string
	// Size in bytes; -1 when the source cannot tell without reading.
	Size int64
	// ContentType is the media type; empty means the caller decides
	// (from Name's extension, else application/octet-stream).
	ContentType string
}

// FileSource is implemented by sources that serve the files attached to
// dossiers (TaiLieuNop, results), for the links the connector publishes in
// DuongDanTaiTepTin. The reference is what the mapping put in the link
// field: a value the source's own configuration resolves (e.g. the
// attachment's id), never a path the caller chose.
type FileSource interface {
	// OpenFile opens the file ref names. The reader streams: it must never
	// hold the whole file in memory. When it also implements io.Seeker the
	// HTTP layer serves byte ranges. Errors wrap ErrFileNotFound when
	// nothing has that reference and ErrFileRejected when the stored
	// location is refused (outside the file store's root, a directory, a
	// symbolic link leaving the root).
	OpenFile(ctx context.Context, ref string) (io.ReadCloser, FileInfo, error)
}

var (
	// ErrFileNotFound is wrapped by OpenFile when ref names no file.
	ErrFileNotFound = errors.New("file not found")
	// ErrFileRejected is wrapped by OpenFile when the stored location of
	// the file is not allowed to be served.
	ErrFileRejected = errors.New("file location refused")
)

// FileSourceOf returns src as a FileSource, or nil when it serves no
// files: it does not implement FileSource, or it has a method
// ServesFiles() bool that says its configuration names no file store.
// Links must not be published for a source that cannot serve them.
func FileSourceOf(src Source) FileSource {
	f, ok := src.(FileSource)
	if !ok {
		return nil
	}
	if c, ok := src.(interface{ ServesFiles() bool }); ok && !c.ServesFiles() {
		return nil
	}
	return f
}
