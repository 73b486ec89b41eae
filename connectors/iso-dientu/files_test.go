package isodientu

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hcmc-lgsp/lgsp-connector/connectors"
)

func TestStorePath(t *testing.T) {
	for _, tc := range []struct {
		stored, strip string
		want          string // "" means refused
	}{
		{"2024/03/to-khai.pdf", "", "2024/03/to-khai.pdf"},
		{`2024\03\to-khai.pdf`, "", "2024/03/to-khai.pdf"},
		{"./2024//a.pdf", "", "2024/a.pdf"},
		{"  2024/a.pdf ", "", "2024/a.pdf"},
		{"Hồ sơ/Tờ khai.pdf", "", "Hồ sơ/Tờ khai.pdf"},
		{`D:\MotCua\Upload\2024\a.pdf`, `d:\motcua\upload\`, "2024/a.pdf"},
		{"/upload/2024/a.pdf", "/upload/", "2024/a.pdf"},
		{"../etc/passwd", "", ""},
		{"2024/../../etc/passwd", "", ""},
		{`2024\..\..\secret`, "", ""},
		{"2024/..", "", ""},
		{"/etc/passwd", "", ""},
		{`C:\Windows\win.ini`, "", ""},
		{"c:secret", "", ""},
		{`\\server\share\a.pdf`, "", ""},
		{"/upload/../etc/passwd", "/upload/", ""},
		{"a\x00.pdf", "", ""},
		{"", "", ""},
		{"   ", "", ""},
		{".", "", ""},
		{"\xff\xfe.pdf", "", ""},
	} {
		got, err := storePath(tc.stored, tc.strip)
		if tc.want == "" {
			if err == nil {
				t.Errorf("storePath(%q, %q) = %q, want refused", tc.stored, tc.strip, got)
			}
			continue
		}
		if want := filepath.FromSlash(tc.want); err != nil || got != want {
			t.Errorf("storePath(%q, %q) = %q, %v; want %q", tc.stored, tc.strip, got, err, want)
		}
	}
}

// Whatever a legacy row holds, storePath gives a path inside the root or
// refuses it.
func FuzzStorePath(f *testing.F) {
	for _, s := range []string{"2024/a.pdf", "../x", `a\..\..\b`, "/etc/passwd", "C:x", "a/./b/../c", "....//x", "\x00"} {
		f.Add(s, "")
	}
	f.Add(`D:\Up\a.pdf`, `D:\Up\`)
	f.Fuzz(func(t *testing.T, stored, strip string) {
		rel, err := storePath(stored, strip)
		if err != nil {
			return
		}
		if !filepath.IsLocal(rel) {
			t.Fatalf("storePath(%q, %q) = %q, not local", stored, strip, rel)
		}
		for _, part := range strings.Split(filepath.ToSlash(rel), "/") {
			if part == ".." {
				t.Fatalf("storePath(%q, %q) = %q contains ..", stored, strip, rel)
			}
		}
	})
}

// fileStoreFixture is a legacy SQLite database whose hs_tai_lieu rows
// point into a file store directory, with files, a directory and symbolic
// links inside and outside it.
func fileStoreFixture(t *testing.T) (src *Source, root, outside string) {
	t.Helper()
	dir := t.TempDir()
	root = filepath.Join(dir, "upload")
	outside = filepath.Join(dir, "secret.txt")
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.MkdirAll(filepath.Join(root, "2024", "03"), 0o755))
	must(os.WriteFile(filepath.Join(root, "2024", "03", "a1.pdf"), []byte("%PDF-1.4 tờ khai"), 0o644))
	must(os.WriteFile(outside, []byte("mật khẩu"), 0o644))
	must(os.Symlink(outside, filepath.Join(root, "2024", "leak.txt")))
	// os.Root follows relative links that stay inside; it refuses
	// absolute ones even when they point inside.
	must(os.Symlink(filepath.Join("03", "a1.pdf"), filepath.Join(root, "2024", "inside.pdf")))
	must(os.Symlink(filepath.Join(root, "2024", "03", "a1.pdf"), filepath.Join(root, "2024", "absolute.pdf")))
	must(os.Symlink(dir, filepath.Join(root, "up")))

	path, db := sqliteDB(t)
	mustExec(t, db, `CREATE TABLE hs_tai_lieu (id INTEGER PRIMARY KEY, hoso_id INTEGER, ten_tai_lieu TEXT, duong_dan TEXT, ngay_cap_nhat TEXT)`)
	for _, r := range []struct {
		id         int
		name, path any
	}{
		{1, "Tờ khai", `D:\MotCua\Upload\2024\03\a1.pdf`},
		{2, nil, "2024/03/a1.pdf"},
		{3, "x", "2024/../../secret.txt"},
		{4, "x", "/etc/passwd"},
		{5, "x", "2024/leak.txt"},
		{6, "Bản sao.pdf", "2024/inside.pdf"},
		{7, "x", "2024/03"},
		{8, "x", "2024/missing.pdf"},
		{9, "x", nil},
		{10, "x", "up/secret.txt"},
		{11, "x", "2024/absolute.pdf"},
	} {
		mustExec(t, db, "INSERT INTO hs_tai_lieu (id, hoso_id, ten_tai_lieu, duong_dan, ngay_cap_nhat) VALUES (?, 1, ?, ?, '2024-03-01 08:00:00')", r.id, r.name, r.path)
	}
	cfg := testConfig(DriverSQLite, path, hoSoStream())
	cfg.Files = &FilesConfig{
		Query: "SELECT id, ten_tai_lieu, duong_dan FROM hs_tai_lieu WHERE id = ?",
		Root:  root, PathColumn: "duong_dan", NameColumn: "ten_tai_lieu", StripPrefix: `D:\MotCua\Upload\`,
	}
	if errs := cfg.Validate(); len(errs) > 0 {
		t.Fatalf("config: %v", errors.Join(errs...))
	}
	return startSource(t, cfg, nil), root, outside
}

// Files of the store are served by reference, confined to the root: ..,
// absolute paths, symbolic links leaving the root, directories and
// missing files are refused with the error class the HTTP layer needs.
func TestOpenFileFromStore(t *testing.T) {
	src, _, _ := fileStoreFixture(t)
	ctx := context.Background()
	for _, tc := range []struct {
		ref           string
		want          string // content, when served
		name, ctype   string
		wantErr       error
		errMentioning string
	}{
		{ref: "1", want: "%PDF-1.4 tờ khai", name: "Tờ khai.pdf", ctype: "application/pdf"},
		{ref: "2", want: "%PDF-1.4 tờ khai", name: "a1.pdf", ctype: "application/pdf"},
		{ref: "6", want: "%PDF-1.4 tờ khai", name: "Bản sao.pdf", ctype: "application/pdf"},
		{ref: "3", wantErr: connectors.ErrFileRejected, errMentioning: ".."},
		{ref: "4", wantErr: connectors.ErrFileRejected, errMentioning: "absolute"},
		{ref: "5", wantErr: connectors.ErrFileRejected},
		{ref: "10", wantErr: connectors.ErrFileRejected},
		{ref: "11", wantErr: connectors.ErrFileRejected},
		{ref: "7", wantErr: connectors.ErrFileRejected, errMentioning: "not a regular file"},
		{ref: "8", wantErr: connectors.ErrFileNotFound},
		{ref: "9", wantErr: connectors.ErrFileNotFound},
		{ref: "404", wantErr: connectors.ErrFileNotFound},
		{ref: "", wantErr: connectors.ErrFileNotFound},
		{ref: strings.Repeat("9", 600), wantErr: connectors.ErrFileNotFound},
	} {
		rc, info, err := src.OpenFile(ctx, tc.ref)
		if tc.wantErr != nil {
			if !errors.Is(err, tc.wantErr) || !strings.Contains(err.Error(), tc.errMentioning) {
				t.Errorf("OpenFile(%.20q) = %v; want %v mentioning %q", tc.ref, err, tc.wantErr, tc.errMentioning)
			}
			if rc != nil {
				rc.Close()
			}
			if err != nil && (strings.Contains(err.Error(), "mật khẩu") || strings.Contains(err.Error(), "2024")) {
				t.Errorf("error leaks the stored path or the outside file's content: %v", err)
			}
			continue
		}
		if err != nil {
			t.Errorf("OpenFile(%q): %v", tc.ref, err)
			continue
		}
		got, err := io.ReadAll(rc)
		rc.Close()
		if err != nil || string(got) != tc.want || info.Name != tc.name || info.ContentType != tc.ctype || info.Size != int64(len(tc.want)) {
			t.Errorf("OpenFile(%q) = %q (%v), %+v; want %q, name %q, type %q, size %d", tc.ref, got, err, info, tc.want, tc.name, tc.ctype, len(tc.want))
		}
		if _, ok := rc.(io.Seeker); !ok {
			t.Errorf("OpenFile(%q) reader is not seekable; ranges would not be served", tc.ref)
		}
	}
}

// The blob fixture: nblob pseudo-random bytes in hs_tep.noi_dung (id 1),
// a NULL blob (id 2), and a duplicate reference (ids 3, 4 share ma 'dup').
func blobBytes(n int) []byte {
	r := rand.New(rand.NewPCG(1, 2))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// A blob is read in chunks, one query each, never more than one chunk at
// a time, and can seek (byte ranges).
func TestSQLiteOpenFileBlob(t *testing.T) {
	const size = 300*1024 + 7
	const chunk = 64 * 1024
	content := blobBytes(size)
	path, db := sqliteDB(t)
	mustExec(t, db, `CREATE TABLE hs_tep (id INTEGER PRIMARY KEY, ma TEXT, ten TEXT, kieu TEXT, noi_dung BLOB)`)
	mustExec(t, db, `INSERT INTO hs_tep VALUES (1, 'a', 'Quyết định', 'application/pdf', ?), (2, 'b', 'trống.pdf', NULL, NULL),
		(3, 'dup', 'x', NULL, x'00'), (4, 'dup', 'y', NULL, x'01'), (5, 'e', NULL, 'không phải kiểu', x'')`, content)
	cfg := testConfig(DriverSQLite, path, hoSoStream())
	cfg.Files = &FilesConfig{
		Query:         "SELECT ma, ten, kieu, noi_dung FROM hs_tep WHERE ma = ?",
		ContentColumn: "noi_dung", NameColumn: "ten", ContentTypeColumn: "kieu", ChunkSize: chunk,
	}
	if errs := cfg.Validate(); len(errs) > 0 {
		t.Fatalf("config: %v", errors.Join(errs...))
	}
	src := startSource(t, cfg, nil)
	queries := countQueries(src)
	ctx := context.Background()

	rc, info, err := src.OpenFile(ctx, "a")
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	if info.Size != size || info.Name != "Quyết định" || info.ContentType != "application/pdf" {
		t.Errorf("info = %+v", info)
	}
	// Read with a buffer larger than the whole blob: each Read still
	// returns at most one chunk, so the reader never held more.
	buf := make([]byte, 2*size)
	var got bytes.Buffer
	maxRead := 0
	for {
		n, err := rc.Read(buf)
		maxRead = max(maxRead, n)
		got.Write(buf[:n])
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.Equal(got.Bytes(), content) {
		t.Fatalf("blob read back differs (%d bytes, want %d)", got.Len(), size)
	}
	if maxRead > chunk {
		t.Errorf("one Read returned %d bytes, more than the %d-byte chunk", maxRead, chunk)
	}
	if want := 1 + (size+chunk-1)/chunk; len(*queries) != want {
		t.Errorf("%d queries, want %d (one for the row, one per chunk)", len(*queries), want)
	}

	// Seek into the middle (an HTTP range) and read across a chunk edge.
	s := rc.(io.Seeker)
	if _, err := s.Seek(chunk-10, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	part := make([]byte, 30)
	if _, err := io.ReadFull(rc, part); err != nil || !bytes.Equal(part, content[chunk-10:chunk+20]) {
		t.Errorf("range read across a chunk edge = %x, %v", part, err)
	}
	if end, err := s.Seek(0, io.SeekEnd); err != nil || end != size {
		t.Errorf("Seek(0, End) = %d, %v", end, err)
	}

	for ref, want := range map[string]error{"b": connectors.ErrFileNotFound, "zz": connectors.ErrFileNotFound, "dup": connectors.ErrAmbiguous} {
		if _, _, err := src.OpenFile(ctx, ref); !errors.Is(err, want) {
			t.Errorf("OpenFile(%q) = %v, want %v", ref, err, want)
		}
	}
	// An empty blob is a file of 0 bytes named after its reference; an
	// invalid stored media type is ignored.
	rc, info, err = src.OpenFile(ctx, "e")
	if err != nil || info.Size != 0 || info.Name != "e" || info.ContentType != "" {
		t.Fatalf("empty blob: %+v, %v", info, err)
	}
	if b, err := io.ReadAll(rc); err != nil || len(b) != 0 {
		t.Errorf("empty blob read %d bytes, %v", len(b), err)
	}
}

// On MariaDB a blob is read with SUBSTRING in chunks: the file here is
// 12 MiB, close to the server's 16 MiB max_allowed_packet, and each query
// moves only 1 MiB.
func TestMariaDBOpenFileBlob(t *testing.T) {
	const size = 12 << 20
	dsn, db := mariaDB(t)
	mustExec(t, db, `CREATE TABLE hs_tep (id INT PRIMARY KEY, ten VARCHAR(200), noi_dung LONGBLOB) CHARACTER SET utf8mb4`)
	mustExec(t, db, `INSERT INTO hs_tep VALUES (1, 'Kết quả.pdf', '')`)
	content := blobBytes(size)
	for off := 0; off < size; off += 4 << 20 { // each statement stays under max_allowed_packet
		mustExec(t, db, `UPDATE hs_tep SET noi_dung = CONCAT(noi_dung, ?) WHERE id = 1`, content[off:min(off+4<<20, size)])
	}
	cfg := testConfig(DriverMySQL, dsn, hoSoStream())
	cfg.Files = &FilesConfig{Query: "SELECT id, ten, noi_dung FROM hs_tep WHERE id = ?", ContentColumn: "noi_dung", NameColumn: "ten"}
	src := startSource(t, cfg, nil)
	queries := countQueries(src)

	rc, info, err := src.OpenFile(context.Background(), "1")
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	if info.Size != size || info.Name != "Kết quả.pdf" || info.ContentType != "application/pdf" {
		t.Errorf("info = %+v", info)
	}
	h := sha256.New()
	n, err := io.CopyBuffer(h, rc, make([]byte, 32*1024))
	if err != nil || n != size {
		t.Fatalf("copied %d bytes, %v", n, err)
	}
	if want := sha256.Sum256(content); !bytes.Equal(h.Sum(nil), want[:]) {
		t.Error("blob content differs")
	}
	if want := 1 + size/DefaultFileChunkSize; len(*queries) != want {
		t.Errorf("%d queries, want %d", len(*queries), want)
	}
}

// PostgreSQL bytea through substring(… from $1 for $2).
func TestPostgresOpenFileBlob(t *testing.T) {
	const size = 100*1024 + 3
	dsn, db := postgresDB(t)
	content := blobBytes(size)
	mustExec(t, db, `CREATE TABLE hs_tep (id INT PRIMARY KEY, noi_dung BYTEA)`)
	mustExec(t, db, `INSERT INTO hs_tep VALUES (1, $1)`, content)
	cfg := testConfig(DriverPostgres, dsn, hoSoStream())
	cfg.Files = &FilesConfig{Query: "SELECT id, noi_dung FROM hs_tep WHERE id = ?", ContentColumn: "noi_dung", ChunkSize: 16 * 1024}
	src := startSource(t, cfg, nil)
	rc, info, err := src.OpenFile(context.Background(), "1")
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	got, err := io.ReadAll(rc)
	if err != nil || !bytes.Equal(got, content) || info.Size != size {
		t.Errorf("read %d bytes (%v), size %d; want %d", len(got), err, info.Size, size)
	}
}
