package demo

import (
	"bytes"
	"fmt"
	"regexp"
	"strconv"
	"testing"
)

// TestOnePagePDFCrossReferences: the sample files are real PDFs — every
// cross-reference entry points at its object, startxref at the table —
// whatever the text, parentheses and backslashes included.
func TestOnePagePDFCrossReferences(t *testing.T) {
	for _, line := range []string{"Ho so 000.00.12.H29-260901-0001", `odd (text) with \ backslash`, ""} {
		t.Run(line, func(t *testing.T) {
			pdf := onePagePDF(line)
			if !bytes.HasPrefix(pdf, []byte("%PDF-1.4\n")) || !bytes.HasSuffix(pdf, []byte("%%EOF\n")) {
				t.Fatalf("not a PDF file:\n%s", pdf)
			}
			m := regexp.MustCompile(`startxref\n(\d+)\n`).FindSubmatch(pdf)
			if m == nil {
				t.Fatal("no startxref")
			}
			xref, _ := strconv.Atoi(string(m[1]))
			if !bytes.HasPrefix(pdf[xref:], []byte("xref\n0 6\n0000000000 65535 f \n")) {
				t.Fatalf("startxref %d does not point at the table: %q", xref, pdf[xref:min(len(pdf), xref+30)])
			}
			entries := bytes.Split(pdf[xref+len("xref\n0 6\n0000000000 65535 f \n"):], []byte("\n"))[:5]
			for i, e := range entries {
				if len(e) != 19 { // 20 bytes with the newline
					t.Errorf("entry %d %q is not 20 bytes", i+1, e)
				}
				off, err := strconv.Atoi(string(e[:10]))
				if err != nil || !bytes.HasPrefix(pdf[off:], []byte(fmt.Sprintf("%d 0 obj\n", i+1))) {
					t.Errorf("entry %d offset %q does not point at object %d", i+1, e[:10], i+1)
				}
			}
			if !bytes.Contains(pdf, []byte("/Length ")) || bytes.Count(pdf, []byte("stream\n")) != 2 {
				t.Errorf("content stream missing:\n%s", pdf)
			}
		})
	}
}
