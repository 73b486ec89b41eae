package demo

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/hcmc-lgsp/lgsp-connector/internal/sampledata"
)

// SampleFile is one file of the sample legacy file store.
type SampleFile struct {
	DocumentID int64  // hs_tai_lieu.id, TepDinhKemId on the wire
	DossierID  int64  // hs_hoso.id
	MaHoSo     string // the dossier's code
	// Ref is what hs_tai_lieu.duong_dan now holds: the file's path inside
	// the store, as one-stop software records its uploads.
	Ref     string
	Content []byte
}

// AddFileStore gives the sample a small legacy file store under root: a
// one-page PDF for every document of the first `dossiers` good dossiers,
// with hs_tai_lieu.duong_dan pointing at it (a path relative to root). The
// other documents keep their web addresses, which the connector publishes
// as they are. Call it before any connector reads the database: the rows
// change without a new ngay_cap_nhat.
func AddFileStore(ctx context.Context, db *sql.DB, root string, gen sampledata.Stats, dossiers int) ([]SampleFile, error) {
	var ids []any
	total := int64(gen.Dossiers + gen.BadDossiers)
	for id := int64(1); id <= total && len(ids) < dossiers; id++ {
		if _, bad := gen.BadReasons[id]; !bad {
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		return nil, nil
	}
	q := `SELECT t.id, t.hoso_id, h.so_ho_so FROM hs_tai_lieu t JOIN hs_hoso h ON h.id = t.hoso_id
WHERE t.hoso_id IN (?` + strings.Repeat(", ?", len(ids)-1) + `) ORDER BY t.id`
	rows, err := db.QueryContext(ctx, q, ids...)
	if err != nil {
		return nil, fmt.Errorf("sample file store: read documents: %w", err)
	}
	var files []SampleFile
	for rows.Next() {
		var f SampleFile
		if err := rows.Scan(&f.DocumentID, &f.DossierID, &f.MaHoSo); err != nil {
			rows.Close()
			return nil, fmt.Errorf("sample file store: read documents: %w", err)
		}
		f.Ref = path.Join("upload", f.MaHoSo, fmt.Sprintf("tai-lieu-%d.pdf", f.DocumentID))
		f.Content = onePagePDF(fmt.Sprintf("Ho so %s - tai lieu so %d (ban mau / sample)", f.MaHoSo, f.DocumentID))
		files = append(files, f)
	}
	err = errors.Join(rows.Err(), rows.Close())
	if err != nil {
		return nil, fmt.Errorf("sample file store: read documents: %w", err)
	}
	for _, f := range files {
		p := filepath.Join(root, filepath.FromSlash(f.Ref))
		if err := os.MkdirAll(filepath.Dir(p), 0o750); err != nil {
			return nil, err
		}
		if err := os.WriteFile(p, f.Content, 0o640); err != nil {
			return nil, err
		}
		if _, err := db.ExecContext(ctx, `UPDATE hs_tai_lieu SET duong_dan = ? WHERE id = ?`, f.Ref, f.DocumentID); err != nil {
			return nil, fmt.Errorf("sample file store: document %d: %w", f.DocumentID, err)
		}
	}
	return files, nil
}

// onePagePDF is a valid one-page PDF showing line (ASCII), small enough to
// read in a hex dump.
func onePagePDF(line string) []byte {
	text := strings.NewReplacer(`\`, `\\`, `(`, `\(`, `)`, `\)`).Replace(line)
	content := "BT /F1 14 Tf 56 780 Td (" + text + ") Tj ET"
	objects := []string{
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
		fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", len(content), content),
		"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
	}
	var b bytes.Buffer
	b.WriteString("%PDF-1.4\n")
	offsets := make([]int, len(objects))
	for i, o := range objects {
		offsets[i] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", i+1, o)
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(objects)+1)
	for _, off := range offsets {
		fmt.Fprintf(&b, "%010d 00000 n \n", off)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(objects)+1, xref)
	return b.Bytes()
}
