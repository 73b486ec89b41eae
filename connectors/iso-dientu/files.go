package isodientu

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"mime"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/hcmc-lgsp/lgsp-connector/connectors"
	"github.com/jmoiron/sqlx"
)

// Limits of source.files.
const (
	DefaultFileChunkSize = 1 << 20 // bytes per query when reading a blob
	minFileChunkSize     = 4 << 10
	// MaxFileChunkSize stays under MariaDB's default max_allowed_packet
	// (16 MiB): a chunk must fit in one packet.
	MaxFileChunkSize = 8 << 20
	maxFileRefLen    = 512
)

// FilesConfig is source.files: where the files behind the attachment
// links the connector publishes (DuongDanTaiTepTin) are kept. Query finds
// the file's row by reference (what the mapping put in the link field,
// normally the attachment's id); the file itself is either in a legacy file
// store directory (Root + PathColumn) or in a blob column (ContentColumn).
//
//	files:
//	  query: SELECT id, ten_tai_lieu, duong_dan FROM hs_tai_lieu WHERE id = ?
//	  root: /srv/motcua/upload
//	  path_column: duong_dan
//	  name_column: ten_tai_lieu
type FilesConfig struct {
	// Query is a SELECT with exactly one ?, the file reference; it must
	// return at most one row.
	Query string `mapstructure:"query"`
	// Root is the absolute path of the legacy file store. Paths read from
	// PathColumn are resolved inside it and can never leave it: absolute
	// paths, ".." and symbolic links pointing outside are refused.
	Root       string `mapstructure:"root"`
	PathColumn string `mapstructure:"path_column"`
	// StripPrefix is removed (ignoring case) from the start of a stored
	// path before it is resolved under Root, for legacy software that
	// stores "D:\MotCua\Upload\2024\a.pdf" or "/upload/2024/a.pdf".
	// Backslashes in stored paths are read as separators.
	StripPrefix string `mapstructure:"strip_prefix"`
	// ContentColumn is a blob column holding the file, read in chunks of
	// ChunkSize bytes (one query each), never whole.
	ContentColumn string `mapstructure:"content_column"`
	// NameColumn gives the download's file name; default: the stored
	// path's base name. A name without extension gets the path's.
	NameColumn string `mapstructure:"name_column"`
	// ContentTypeColumn gives the media type; default: from the name's
	// extension.
	ContentTypeColumn string `mapstructure:"content_type_column"`
	// ChunkSize is the blob chunk in bytes; 0 means DefaultFileChunkSize.
	ChunkSize int `mapstructure:"chunk_size"`
}

func (f *FilesConfig) validate(path string) []error {
	var errs []error
	add := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s.%s: %s", path, key, fmt.Sprintf(format, args...)))
	}
	if msg := checkSelect(f.Query); msg != "" {
		add("query", "%s", msg)
	} else if n := strings.Count(f.Query, "?"); n != 1 {
		add("query", "must contain exactly one ?, the file reference (e.g. WHERE id = ?); found %d", n)
	}
	store := f.Root != "" || f.PathColumn != ""
	blob := f.ContentColumn != ""
	switch {
	case store && blob:
		add("content_column", "choose one: root + path_column (a file store directory) or content_column (files kept in the database)")
	case !store && !blob:
		errs = append(errs, fmt.Errorf("%s: set root + path_column (a file store directory) or content_column (files kept in the database)", path))
	case store:
		if f.Root == "" {
			add("root", "is required with path_column: the absolute path of the file store directory")
		} else if !filepath.IsAbs(f.Root) {
			add("root", "%q must be an absolute path, e.g. /srv/motcua/upload or D:\\MotCua\\Upload", f.Root)
		}
		if msg := checkColumnName(f.PathColumn, "the column holding the file's path inside root"); msg != "" {
			add("path_column", "%s", msg)
		}
	case blob:
		if msg := checkColumnName(f.ContentColumn, "the blob column holding the file"); msg != "" {
			add("content_column", "%s", msg)
		}
		if f.StripPrefix != "" {
			add("strip_prefix", "applies only to path_column, not content_column")
		}
	}
	for _, c := range []struct{ key, name string }{{"name_column", f.NameColumn}, {"content_type_column", f.ContentTypeColumn}} {
		if c.name == "" {
			continue
		}
		if msg := checkColumnName(c.name, ""); msg != "" {
			add(c.key, "%s", msg)
		}
	}
	if f.ChunkSize != 0 && (f.ChunkSize < minFileChunkSize || f.ChunkSize > MaxFileChunkSize) {
		add("chunk_size", "%d must be between %d and %d bytes (0 means %d)", f.ChunkSize, minFileChunkSize, MaxFileChunkSize, DefaultFileChunkSize)
	}
	return errs
}

func (f *FilesConfig) chunkSize() int {
	if f.ChunkSize == 0 {
		return DefaultFileChunkSize
	}
	return f.ChunkSize
}

// ServesFiles reports whether source.files is configured (see
// connectors.FileSourceOf).
func (s *Source) ServesFiles() bool { return s.cfg.Files != nil }

// OpenFile opens the file ref names (see FilesConfig). A file-store file
// is an *os.File (seekable, so byte ranges are cheap); a blob is read one
// chunk per query with SUBSTRING, because every driver here (MySQL,
// pgx, SQLite) materialises a column value whole in memory when a row is
// scanned, and MySQL refuses a value larger than max_allowed_packet. The
// blob reader also seeks.
func (s *Source) OpenFile(ctx context.Context, ref string) (io.ReadCloser, connectors.FileInfo, error) {
	fc := s.cfg.Files
	if fc == nil {
		return nil, connectors.FileInfo{}, fmt.Errorf("iso_dientu: file %q: %w: no file store is configured (set %s.files)", ref, connectors.ErrFileNotFound, keyPrefix)
	}
	if ref == "" || len(ref) > maxFileRefLen || !utf8.ValidString(ref) || strings.ContainsRune(ref, 0) {
		return nil, connectors.FileInfo{}, fmt.Errorf("iso_dientu: file reference of %d bytes: %w", len(ref), connectors.ErrFileNotFound)
	}
	db, err := s.handle()
	if err != nil {
		return nil, connectors.FileInfo{}, err
	}
	meta, err := s.fileMeta(ctx, db, fc, ref)
	if err != nil {
		return nil, connectors.FileInfo{}, err
	}
	if fc.ContentColumn != "" {
		return s.openBlob(ctx, db, fc, ref, meta)
	}
	return s.openStored(fc, ref, meta)
}

// fileRow is what the files query says about one file.
type fileRow struct {
	path, name, contentType string
	size                    sql.NullInt64 // blob length in bytes
}

// fileMetaSQL selects the configured columns of the file's row (and the
// blob's byte length, never the blob).
func fileMetaSQL(d dialect, fc *FilesConfig) string {
	col := func(name string) string {
		if name == "" {
			return "NULL"
		}
		return "src." + d.quote(name)
	}
	first := col(fc.PathColumn)
	if fc.ContentColumn != "" {
		first = d.byteLength("src." + d.quote(fc.ContentColumn))
	}
	return "SELECT " + first + ", " + col(fc.NameColumn) + ", " + col(fc.ContentTypeColumn) +
		" FROM (\n" + trimStatement(fc.Query) + "\n) src LIMIT 2"
}

// fileChunkSQL reads length bytes from byte offset start (1-based) of the
// blob. Its placeholders are, in order: start, length, the reference.
func fileChunkSQL(d dialect, fc *FilesConfig) string {
	return "SELECT " + d.substring("src."+d.quote(fc.ContentColumn)) +
		" FROM (\n" + trimStatement(fc.Query) + "\n) src LIMIT 1"
}

// byteLength is the byte length of a blob (LENGTH counts characters on
// SQLite text, hence the cast).
func (d dialect) byteLength(expr string) string {
	switch d.driver {
	case DriverPostgres:
		return "octet_length(" + expr + ")"
	case DriverSQLite:
		return "length(CAST(" + expr + " AS BLOB))"
	}
	return "LENGTH(" + expr + ")"
}

func (d dialect) substring(expr string) string {
	switch d.driver {
	case DriverPostgres:
		return "substring(" + expr + " from ? for ?)"
	case DriverSQLite:
		return "substr(CAST(" + expr + " AS BLOB), ?, ?)"
	}
	return "SUBSTRING(" + expr + ", ?, ?)"
}

// rebind turns the ? placeholders of a statement into the driver's.
func (d dialect) rebind(q string) string {
	if d.driver == DriverPostgres {
		return sqlx.Rebind(sqlx.DOLLAR, q)
	}
	return q
}

func (s *Source) fileMeta(ctx context.Context, db *sqlx.DB, fc *FilesConfig, ref string) (fileRow, error) {
	query := s.dialect.rebind(fileMetaSQL(s.dialect, fc))
	qctx, cancel := context.WithTimeout(ctx, s.cfg.QueryTimeout)
	defer cancel()
	s.hook(query)
	rows, err := db.QueryContext(qctx, query, ref)
	if err != nil {
		return fileRow{}, s.filesError("file", fc.Query, err)
	}
	defer rows.Close()
	var (
		found int
		row   fileRow
	)
	for rows.Next() {
		if found++; found > 1 {
			return fileRow{}, fmt.Errorf("iso_dientu: file %q: %w: %s.files.query returns several rows for it; it must identify one file", ref, connectors.ErrAmbiguous, keyPrefix)
		}
		var first, name, ctype any
		if err := rows.Scan(&first, &name, &ctype); err != nil {
			return fileRow{}, s.filesError("file", fc.Query, err)
		}
		row.name, row.contentType = optionalText(name), optionalText(ctype)
		switch {
		case fc.ContentColumn == "":
			row.path = optionalText(first)
		case first != nil:
			n, err := parseKey(first, KeyInt)
			if err != nil {
				return fileRow{}, fmt.Errorf("iso_dientu: file %q: blob length %s: %w", ref, rawText(first), err)
			}
			row.size.Int64, _ = strconv.ParseInt(n, 10, 64) // canonical decimal already
			row.size.Valid = true
		}
	}
	if err := rows.Err(); err != nil {
		return fileRow{}, s.filesError("file", fc.Query, err)
	}
	if found == 0 {
		return fileRow{}, fmt.Errorf("iso_dientu: file %q: %w", ref, connectors.ErrFileNotFound)
	}
	return row, nil
}

func (s *Source) filesError(what, query string, err error) error {
	hint := ""
	if h := hintFor(err); h != "" {
		hint = "; " + h
	}
	return fmt.Errorf("iso_dientu: %s.files: %s query failed: %w%s (query: %s)", keyPrefix, what, s.scrub(err), hint, oneLine(query))
}

// openStored opens a file of the file store, confined to Root by os.Root:
// it refuses ".." and absolute names and symbolic links that resolve
// outside the root, on every platform. Absolute symbolic links are
// refused even when they point inside the root; relative ones that stay
// inside are followed.
func (s *Source) openStored(fc *FilesConfig, ref string, meta fileRow) (io.ReadCloser, connectors.FileInfo, error) {
	if strings.TrimSpace(meta.path) == "" {
		return nil, connectors.FileInfo{}, fmt.Errorf("iso_dientu: file %q: %w: its %s is empty", ref, connectors.ErrFileNotFound, fc.PathColumn)
	}
	rel, err := storePath(meta.path, fc.StripPrefix)
	if err != nil {
		return nil, connectors.FileInfo{}, fmt.Errorf("iso_dientu: file %q: %w: %s", ref, connectors.ErrFileRejected, err)
	}
	root, err := os.OpenRoot(fc.Root)
	if err != nil {
		return nil, connectors.FileInfo{}, fmt.Errorf("iso_dientu: open file store %s.files.root %q: %w; check the directory exists and the connector may read it", keyPrefix, fc.Root, err)
	}
	defer root.Close() // files opened through it stay open
	// Errors name the reference, never the stored path: legacy paths
	// often hold the applicant's name.
	f, err := root.Open(rel)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, connectors.FileInfo{}, fmt.Errorf("iso_dientu: file %q: %w under %s.files.root", ref, connectors.ErrFileNotFound, keyPrefix)
	case errors.Is(err, fs.ErrPermission):
		return nil, connectors.FileInfo{}, fmt.Errorf("iso_dientu: file %q: %w; give the connector's account read access to %s.files.root", ref, withoutPath(err), keyPrefix)
	case err != nil:
		// os.Root's refusal (a path or link escaping the root) has no
		// exported error value; anything else here is a refusal too.
		return nil, connectors.FileInfo{}, fmt.Errorf("iso_dientu: file %q: %w: %v", ref, connectors.ErrFileRejected, withoutPath(err))
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, connectors.FileInfo{}, fmt.Errorf("iso_dientu: file %q: %w", ref, withoutPath(err))
	}
	if !st.Mode().IsRegular() {
		f.Close()
		return nil, connectors.FileInfo{}, fmt.Errorf("iso_dientu: file %q: %w: not a regular file (%s)", ref, connectors.ErrFileRejected, st.Mode().Type())
	}
	name := fileName(meta.name, path.Base(filepath.ToSlash(rel)))
	return f, connectors.FileInfo{Name: name, Size: st.Size(), ContentType: contentType(meta.contentType, name)}, nil
}

// withoutPath drops the file name from an *fs.PathError.
func withoutPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// optionalText is a text column's value, "" for NULL.
func optionalText(v any) string {
	if v == nil {
		return ""
	}
	return rawText(v)
}

// storePath turns a path stored by legacy software into a path relative
// to the file store's root, or says why it is refused.
func storePath(stored, stripPrefix string) (string, error) {
	p := strings.TrimSpace(stored)
	if stripPrefix != "" && len(p) >= len(stripPrefix) && strings.EqualFold(p[:len(stripPrefix)], stripPrefix) {
		p = p[len(stripPrefix):]
	}
	p = strings.ReplaceAll(p, `\`, "/")
	switch {
	case p == "":
		return "", errors.New("the stored path is empty")
	case !utf8.ValidString(p) || strings.ContainsRune(p, 0):
		return "", errors.New("the stored path is not valid text")
	case strings.HasPrefix(p, "/"):
		return "", errors.New("the stored path is absolute; set files.strip_prefix to the part before the file store")
	case len(p) >= 2 && p[1] == ':':
		return "", errors.New("the stored path starts with a drive letter; set files.strip_prefix to the part before the file store")
	}
	for _, part := range strings.Split(p, "/") {
		if part == ".." {
			return "", errors.New("the stored path contains \"..\"")
		}
	}
	rel := filepath.FromSlash(path.Clean(p))
	if rel == "." {
		return "", errors.New("the stored path names the file store itself")
	}
	if !filepath.IsLocal(rel) {
		return "", errors.New("the stored path does not stay inside the file store")
	}
	return rel, nil
}

// fileName is the download name: the configured name column, with the
// stored file's extension when it has none, else the stored base name.
func fileName(configured, stored string) string {
	name := strings.TrimSpace(configured)
	if name == "" {
		return stored
	}
	if path.Ext(name) == "" {
		name += path.Ext(stored)
	}
	return name
}

// contentType is the configured type when it is a valid media type, else
// the one of the name's extension, else "" (the caller's default).
func contentType(configured, name string) string {
	if configured != "" {
		if _, _, err := mime.ParseMediaType(configured); err == nil {
			return configured
		}
	}
	return mime.TypeByExtension(strings.ToLower(path.Ext(name)))
}

func (s *Source) openBlob(ctx context.Context, db *sqlx.DB, fc *FilesConfig, ref string, meta fileRow) (io.ReadCloser, connectors.FileInfo, error) {
	if !meta.size.Valid {
		return nil, connectors.FileInfo{}, fmt.Errorf("iso_dientu: file %q: %w: its %s is NULL", ref, connectors.ErrFileNotFound, fc.ContentColumn)
	}
	name := fileName(meta.name, "")
	if name == "" {
		name = ref
	}
	r := &blobReader{
		src: s, db: db, ctx: ctx, ref: ref, fc: fc,
		query: s.dialect.rebind(fileChunkSQL(s.dialect, fc)),
		size:  meta.size.Int64, chunk: fc.chunkSize(),
	}
	return r, connectors.FileInfo{Name: name, Size: meta.size.Int64, ContentType: contentType(meta.contentType, name)}, nil
}

// blobReader reads a blob one chunk per query, holding at most one chunk.
// It holds no connection between reads, so a slow download does not keep
// one of the small pool's connections from the pipeline.
type blobReader struct {
	src   *Source
	db    *sqlx.DB
	ctx   context.Context
	ref   string
	fc    *FilesConfig
	query string
	size  int64
	chunk int

	mu     sync.Mutex
	off    int64  // next byte to return
	buf    []byte // bytes [bufOff, bufOff+len(buf)) of the blob
	bufOff int64
	closed bool
}

func (r *blobReader) Read(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return 0, os.ErrClosed
	}
	if r.off >= r.size {
		return 0, io.EOF
	}
	if len(p) == 0 {
		return 0, nil
	}
	if r.off < r.bufOff || r.off >= r.bufOff+int64(len(r.buf)) {
		if err := r.fill(); err != nil {
			return 0, err
		}
	}
	n := copy(p, r.buf[r.off-r.bufOff:])
	r.off += int64(n)
	return n, nil
}

// fill reads the chunk starting at r.off.
func (r *blobReader) fill() error {
	want := min(int64(r.chunk), r.size-r.off)
	qctx, cancel := context.WithTimeout(r.ctx, r.src.cfg.QueryTimeout)
	defer cancel()
	r.src.hook(r.query)
	var got []byte
	err := r.db.QueryRowContext(qctx, r.query, r.off+1, want, r.ref).Scan(&got)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return fmt.Errorf("iso_dientu: file %q disappeared while being read", r.ref)
	case err != nil:
		return r.src.filesError("file chunk", r.fc.Query, err)
	case int64(len(got)) != want:
		return fmt.Errorf("iso_dientu: file %q changed while being read: %d bytes at offset %d, expected %d", r.ref, len(got), r.off, want)
	}
	r.buf, r.bufOff = got, r.off
	return nil
}

func (r *blobReader) Seek(offset int64, whence int) (int64, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return 0, os.ErrClosed
	}
	var abs int64
	switch whence {
	case io.SeekStart:
		abs = offset
	case io.SeekCurrent:
		abs = r.off + offset
	case io.SeekEnd:
		abs = r.size + offset
	default:
		return 0, fmt.Errorf("iso_dientu: blob seek: invalid whence %d", whence)
	}
	if abs < 0 {
		return 0, fmt.Errorf("iso_dientu: blob seek to negative offset %d", abs)
	}
	r.off = abs
	return abs, nil
}

func (r *blobReader) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.closed, r.buf = true, nil
	return nil
}

var (
	_ connectors.FileSource = (*Source)(nil)
	_ io.ReadSeekCloser     = (*blobReader)(nil)
)
