package signing

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
)

// TestSignKeepsInputBytesAndIsDeterministic: the output is the input with
// the Signature spliced in before the root end tag, byte for byte, and the
// same input always gives the same output (sign once, store, resend).
func TestSignKeepsInputBytesAndIsDeterministic(t *testing.T) {
	f := mustFixtures(t)
	s := mustSigner(t, f.sender, RSASHA256)
	for _, tc := range testDocs {
		t.Run(tc.name, func(t *testing.T) {
			first := mustSign(t, s, tc.doc)
			second := mustSign(t, s, tc.doc)
			if !bytes.Equal(first, second) {
				t.Fatal("signing the same document twice gave different bytes")
			}
			sigStart := bytes.Index(first, []byte("<Signature "))
			sigEnd := bytes.Index(first, []byte("</Signature>")) + len("</Signature>")
			if sigStart < 0 || sigEnd < sigStart {
				t.Fatalf("no Signature in output:\n%s", first)
			}
			before, after := string(first[:sigStart]), string(first[sigEnd:])
			if strings.HasSuffix(tc.doc, "/>") && !strings.Contains(tc.doc, "</") {
				// Self-closing root: "<GoiTin/>" becomes "<GoiTin>…</GoiTin>".
				if before+after != strings.TrimSuffix(tc.doc, "/>")+"></GoiTin>" {
					t.Fatalf("self-closing root rewritten unexpectedly: %q + %q", before, after)
				}
				return
			}
			if before+after != tc.doc {
				t.Fatalf("input bytes not preserved:\nbefore+after = %q\ninput        = %q", before+after, tc.doc)
			}
			if !strings.HasPrefix(after, "</") {
				t.Fatalf("Signature is not the last child of the root: followed by %q", after)
			}
		})
	}
}

func TestSignRefuses(t *testing.T) {
	f := mustFixtures(t)
	s := mustSigner(t, f.sender, RSASHA256)
	signed := string(mustSign(t, s, testDocs[0].doc))
	const decl = `<?xml version="1.0" encoding="UTF-8"?>`
	tests := []struct {
		name, doc, wantMsg string
		want               error
	}{
		{"already signed", signed, "already contains a Signature", nil},
		{"not well-formed", decl + "<GoiTin><a></GoiTin>", "", ErrNotWellFormed},
		{"two roots", decl + "<GoiTin/><GoiTin/>", "second top-level element", ErrNotWellFormed},
		{"no root", decl, "no root element", ErrNotWellFormed},
		{"DOCTYPE", decl + `<!DOCTYPE GoiTin [<!ENTITY e "x">]><GoiTin>&e;</GoiTin>`, "", nil},
		{"comment", decl + "<GoiTin><!-- x --></GoiTin>", "comment inside <GoiTin>", ErrForbiddenXML},
		{"comment after root", decl + "<GoiTin/><!-- x -->", "comment outside", ErrForbiddenXML},
		{"processing instruction", decl + "<?xml-stylesheet href=\"a\"?><GoiTin/>", "processing instruction", ErrForbiddenXML},
		{"CDATA", decl + "<GoiTin><![CDATA[x]]></GoiTin>", "CDATA", ErrForbiddenXML},
		{"namespaced attribute", decl + `<GoiTin xmlns:a="urn:a" a:b="1"/>`, `namespaced attribute "a:b"`, ErrForbiddenXML},
		{"xml:lang attribute", decl + `<GoiTin xml:lang="vi"/>`, `"xml:lang"`, ErrForbiddenXML},
		{"line break in attribute", decl + "<GoiTin a=\"x\ny\"/>", "tab or line break", ErrForbiddenXML},
		{"encoded tab in attribute", decl + `<GoiTin a="x&#9;y"/>`, "tab or line break", ErrForbiddenXML},
		{"default namespace undeclared", decl + `<GoiTin xmlns="urn:a"><p:A xmlns:p="urn:p"><B xmlns="">x</B></p:A></GoiTin>`, `xmlns=""`, ErrForbiddenXML},
		{"byte-order mark", "\xEF\xBB\xBF" + decl + "<GoiTin/>", "byte-order mark", ErrForbiddenXML},
		{"Windows-1258 declaration", `<?xml version="1.0" encoding="windows-1258"?><GoiTin/>`, "encoding must be UTF-8", ErrForbiddenXML},
		{"invalid UTF-8", decl + "<GoiTin>\xff</GoiTin>", "", ErrNotWellFormed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, err := s.Sign([]byte(tc.doc))
			if err == nil {
				t.Fatalf("Sign accepted it:\n%s", out)
			}
			if tc.want != nil && !errors.Is(err, tc.want) {
				t.Errorf("error = %v, want one wrapping %v", err, tc.want)
			}
			if !strings.Contains(err.Error(), tc.wantMsg) {
				t.Errorf("error = %v, want it to mention %q", err, tc.wantMsg)
			}
		})
	}
}

func TestNewSignerChecksKeyAndCertificate(t *testing.T) {
	f := mustFixtures(t)
	tests := []struct {
		name string
		kp   keyPair
		alg  Algorithm
		want string
	}{
		{"key of another certificate", keyPair{f.other.key, f.sender.cert}, RSASHA256, "does not match certificate"},
		{"no key", keyPair{nil, f.sender.cert}, RSASHA256, "no private key"},
		{"no certificate", keyPair{f.sender.key, nil}, RSASHA256, "no certificate"},
		{"unknown algorithm", f.sender, Algorithm(9), "unknown signature algorithm"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewSigner(tc.kp.key, tc.kp.cert, tc.alg)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("NewSigner error = %v, want one containing %q", err, tc.want)
			}
		})
	}
}

// TestSignConcurrently signs from 8 goroutines at once (run with -race)
// and checks each result against the one signed alone: shared state
// between calls would show up as a race or as different bytes.
func TestSignConcurrently(t *testing.T) {
	f := mustFixtures(t)
	s := mustSigner(t, f.sender, RSASHA256)
	v := mustVerifier(t, VerifierOptions{}, f.sender.cert)
	const workers, perWorker = 8, 4
	docs := make([]string, workers)
	want := make([][]byte, workers)
	for i := range docs {
		docs[i] = strings.Replace(testDocs[0].doc, "0001</MaHoSo>", fmt.Sprintf("%04d</MaHoSo>", i), 1)
		want[i] = mustSign(t, s, docs[i])
	}
	var wg sync.WaitGroup
	errs := make(chan error, workers*perWorker)
	for w := range workers {
		wg.Go(func() {
			for range perWorker {
				got, err := s.Sign([]byte(docs[w]))
				switch {
				case err != nil:
					errs <- fmt.Errorf("worker %d: %w", w, err)
				case !bytes.Equal(got, want[w]):
					errs <- fmt.Errorf("worker %d: concurrent signature differs from the sequential one", w)
				default:
					if _, err := v.Verify(got); err != nil {
						errs <- fmt.Errorf("worker %d: verify: %w", w, err)
					}
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestCheckDeclaration(t *testing.T) {
	tests := []struct {
		inst string
		ok   bool
	}{
		{`version="1.0"`, true},
		{`version="1.0" encoding="UTF-8"`, true},
		{`version='1.0' encoding='utf-8' standalone='yes'`, true},
		{"version = \"1.0\"\n\tencoding=\"UTF-8\" ", true},
		{`version="1.0" standalone="no"`, true},
		{``, false},
		{`encoding="UTF-8"`, false},
		{`version="1.1"`, false},
		{`version="1.0"encoding="UTF-8"`, false},
		{`version="1.0" aencoding="UTF-8"`, false},
		{`version="1.0" encoding="UTF-16"`, false},
		{`version="1.0" standalone="maybe"`, false},
		{`version="1.0" standalone="yes" encoding="UTF-8"`, false},
		{`version="1.0" version="1.0"`, false},
		{`version=1.0`, false},
		{`version="1.0`, false},
		{`version="1.0" x`, false},
	}
	for _, tc := range tests {
		err := checkDeclaration(tc.inst)
		if (err == nil) != tc.ok {
			t.Errorf("checkDeclaration(%q) = %v, want ok=%v", tc.inst, err, tc.ok)
		}
		if err != nil && !errors.Is(err, ErrForbiddenXML) {
			t.Errorf("checkDeclaration(%q) error %v does not wrap ErrForbiddenXML", tc.inst, err)
		}
	}
}

func TestAlgorithmNames(t *testing.T) {
	tests := []struct {
		in   string
		want Algorithm
		ok   bool
	}{
		{"rsa-sha256", RSASHA256, true},
		{" RSA-SHA256 ", RSASHA256, true},
		{"rsa-sha512", RSASHA512, true},
		{"rsa-sha1", RSASHA1, true},
		{"", 0, false},
		{"sha256", 0, false},
		{"ecdsa-sha256", 0, false},
	}
	for _, tc := range tests {
		got, err := ParseAlgorithm(tc.in)
		if (err == nil) != tc.ok || (tc.ok && got != tc.want) {
			t.Errorf("ParseAlgorithm(%q) = %v, %v; want %v, ok=%v", tc.in, got, err, tc.want, tc.ok)
		}
		if !tc.ok && err != nil && !strings.Contains(err.Error(), `"rsa-sha256"`) {
			t.Errorf("ParseAlgorithm(%q) error %q does not list the valid names", tc.in, err)
		}
	}
	for _, a := range allAlgorithms {
		text, err := a.MarshalText()
		if err != nil {
			t.Fatal(err)
		}
		var back Algorithm
		if err := back.UnmarshalText(text); err != nil || back != a {
			t.Errorf("%v: text round trip gave %v, %v", a, back, err)
		}
		if a.Hash().Size()*8 < 160 || a.SignatureMethod() == "" || a.DigestMethod() == "" {
			t.Errorf("%v: incomplete algorithm description", a)
		}
	}
	var zero Algorithm
	if zero != RSASHA256 {
		t.Error("the zero Algorithm must be the profile default rsa-sha256")
	}
	if _, err := Algorithm(200).MarshalText(); err == nil {
		t.Error("MarshalText accepted an unknown algorithm")
	}
}
