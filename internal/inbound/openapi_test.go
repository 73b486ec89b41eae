package inbound

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/hcmc-lgsp/lgsp-connector/packets"
)

func loadOpenAPI(t *testing.T) map[string]any {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "..", "docs", "openapi.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("docs/openapi.yaml is not YAML: %v", err)
	}
	return doc
}

func child(t *testing.T, v any, keys ...string) map[string]any {
	t.Helper()
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			t.Fatalf("openapi: %s is not a mapping", strings.Join(keys, "."))
		}
		v = m[k]
	}
	m, ok := v.(map[string]any)
	if !ok {
		t.Fatalf("openapi: no mapping at %s", strings.Join(keys, "."))
	}
	return m
}

// docs/openapi.yaml documents exactly the routes the server registers,
// each with responses; the file link opts out of token/certificate
// security; both security schemes exist; every $ref resolves.
func TestOpenAPIDocumentsEveryRoute(t *testing.T) {
	doc := loadOpenAPI(t)
	if v, _ := doc["openapi"].(string); !strings.HasPrefix(v, "3.") {
		t.Fatalf("openapi version %q, want 3.x", v)
	}
	paths := child(t, doc, "paths")
	documented := map[string]bool{}
	for p, item := range paths {
		for m := range item.(map[string]any) {
			documented[strings.ToUpper(m)+" "+p] = true
		}
	}
	for _, r := range Routes() {
		key := r.Method + " " + r.Path
		if !documented[key] {
			t.Errorf("route %s is not in docs/openapi.yaml", key)
			continue
		}
		op := child(t, paths, r.Path, strings.ToLower(r.Method))
		if len(child(t, op, "responses")) == 0 {
			t.Errorf("%s documents no responses", key)
		}
		sec, hasSec := op["security"]
		if public := r.Path == "/files/{token}"; public != (hasSec && len(sec.([]any)) == 0) {
			t.Errorf("%s: security override %v; only the file link is open (security: [])", key, sec)
		}
		delete(documented, key)
	}
	for key := range documented {
		t.Errorf("docs/openapi.yaml documents %s, which the server does not register", key)
	}
	schemes := child(t, doc, "components", "securitySchemes")
	if child(t, schemes, "bearerAuth")["scheme"] != "bearer" || child(t, schemes, "clientCertificate")["type"] != "mutualTLS" {
		t.Errorf("security schemes: %v", schemes)
	}
	var refs []string
	collectRefs(doc, &refs)
	if len(refs) == 0 {
		t.Fatal("no $ref found: the walk is broken")
	}
	for _, ref := range refs {
		parts := strings.Split(strings.TrimPrefix(ref, "#/"), "/")
		var v any = doc
		for _, p := range parts {
			m, _ := v.(map[string]any)
			v = m[p]
		}
		if !strings.HasPrefix(ref, "#/") || v == nil {
			t.Errorf("$ref %q does not resolve", ref)
		}
	}
}

func collectRefs(v any, out *[]string) {
	switch x := v.(type) {
	case map[string]any:
		for k, c := range x {
			if s, ok := c.(string); ok && k == "$ref" {
				*out = append(*out, s)
			}
			collectRefs(c, out)
		}
	case []any:
		for _, c := range x {
			collectRefs(c, out)
		}
	}
}

// The documented dossier (schema and example) uses only real DongBoHoSoMC
// field names, so the document cannot drift from the encoder.
func TestOpenAPIFieldNamesAreDongBoHoSoMC(t *testing.T) {
	item, err := packets.EncodeDVCQGItem(&packets.Packet{Dossier: &packets.Dossier{
		TaiLieuNop:           []packets.SubmittedDocument{{}},
		DanhSachGiayToKetQua: []packets.ResultDocument{{}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	var real map[string]any
	if err := json.Unmarshal(item, &real); err != nil {
		t.Fatal(err)
	}
	keysOf := func(m map[string]any) []string {
		var out []string
		for k := range m {
			out = append(out, k)
		}
		sort.Strings(out)
		return out
	}
	realKeys := keysOf(real)
	listKeys := func(list string) []string {
		return keysOf(real[list].([]any)[0].(map[string]any))
	}
	check := func(where string, got, allowed []string) {
		if len(got) == 0 {
			t.Errorf("%s: no fields found", where)
		}
		for _, k := range got {
			if !slices.Contains(allowed, k) {
				t.Errorf("%s: %q is not a DongBoHoSoMC field", where, k)
			}
		}
	}
	doc := loadOpenAPI(t)
	schema := child(t, doc, "components", "schemas", "HoSo", "properties")
	check("schema HoSo", keysOf(schema), realKeys)
	check("schema HoSo.TaiLieuNop", keysOf(child(t, schema, "TaiLieuNop", "items", "properties")), listKeys("TaiLieuNop"))
	check("schema HoSo.DanhSachGiayToKetQua", keysOf(child(t, schema, "DanhSachGiayToKetQua", "items", "properties")), listKeys("DanhSachGiayToKetQua"))
	found := child(t, doc, "components", "examples", "Found", "value")
	example := found["result"].([]any)[0].(map[string]any)
	check("example Found", keysOf(example), realKeys)
	check("example Found.TaiLieuNop", keysOf(example["TaiLieuNop"].([]any)[0].(map[string]any)), listKeys("TaiLieuNop"))
}
