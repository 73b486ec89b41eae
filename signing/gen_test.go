package signing

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

// genDocument builds a random document inside the XML subset Sign accepts,
// mixing the features where canonicalisers disagree: namespace
// declarations and prefixes, attribute order and escaping, entity and
// character references, line breaks, non-BMP and combining characters.
func genDocument(r *rand.Rand) string {
	var b strings.Builder
	if r.IntN(2) == 0 {
		b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>`)
	}
	genElement(r, &b, 0, map[string]bool{})
	if r.IntN(3) == 0 {
		b.WriteString("\n")
	}
	return b.String()
}

var (
	genNames  = []string{"GoiTin", "HoSo", "BuocXuLy", "p:TruongMoRong", "q:Khac", "NoiDung"}
	genAttrs  = []string{"STT", "a", "z", "Ma", "loai"}
	genValues = []string{"1", "", "Hồ sơ", "a &amp; b", "&lt;x&gt;", "&quot;q&quot;", "'s'", ">", "😀", "e\u0301", "  hai  khoảng  "}
	genTexts  = []string{"Nguyễn Thị Ánh Tuyết", " ", "\n  ", "&amp;", "&lt;&gt;", ">", "\"'", "\r\n", "&#13;", "&#x9;\t", "😀", "e\u0301", "]]&gt;", "&#x1F600;", "Phường Bến Thành"}
	genNS     = map[string]string{"p": "urn:p", "q": "urn:q"}
)

func genElement(r *rand.Rand, b *strings.Builder, depth int, inScope map[string]bool) {
	name := genNames[r.IntN(len(genNames))]
	scope := make(map[string]bool, len(inScope))
	for k, v := range inScope {
		scope[k] = v
	}
	fmt.Fprintf(b, "<%s", name)
	if prefix, _, ok := strings.Cut(name, ":"); ok && (!scope[prefix] || r.IntN(4) == 0) {
		fmt.Fprintf(b, ` xmlns:%s="%s"`, prefix, genNS[prefix])
		scope[prefix] = true
	}
	switch r.IntN(10) {
	case 0, 1:
		b.WriteString(` xmlns="urn:mac-dinh"`)
	case 2:
		b.WriteString(` xmlns=""`) // Sign refuses it (goxmldsig mis-canonicalises it)
	}
	if r.IntN(6) == 0 {
		b.WriteString(` xmlns:unused="urn:unused"`)
	}
	for _, i := range r.Perm(len(genAttrs))[:r.IntN(3)] {
		q := `"`
		v := genValues[r.IntN(len(genValues))]
		if r.IntN(3) == 0 && !strings.Contains(v, "'") {
			q = "'"
		}
		fmt.Fprintf(b, " %s=%s%s%s", genAttrs[i], q, v, q)
	}
	if depth > 0 && r.IntN(5) == 0 {
		b.WriteString("/>")
		return
	}
	b.WriteString(">")
	for range r.IntN(4) {
		if depth < 4 && r.IntN(2) == 0 {
			genElement(r, b, depth+1, scope)
		} else {
			b.WriteString(genTexts[r.IntN(len(genTexts))])
		}
	}
	fmt.Fprintf(b, "</%s>", name)
}
