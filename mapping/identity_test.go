package mapping

import (
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/hcmc-lgsp/lgsp-connector/packets"
)

func TestIdentityConfigErrors(t *testing.T) {
	withIdentity := func(kind string, fields map[string]FieldMapping, identity ...string) Config {
		return Config{Streams: map[string]StreamMapping{"s": {Packet: kind, Fields: fields, Identity: identity}}}
	}
	rating := map[string]FieldMapping{"MaPhieu": {Column: "id"}, "MucDoHaiLong": {Column: "m"}}
	const p = "mapping.streams.s.identity"
	tests := []struct {
		name string
		cfg  Config
		want []string
	}{
		{"valid, any letter case", withIdentity("DanhGia", rating, "maphieu"), nil},
		{"two fields", withIdentity("DanhGia", rating, "MaPhieu", "MucDoHaiLong"), nil},
		{"a filled field", withIdentity("HoSo", map[string]FieldMapping{
			"NgayTiepNhan": {Column: "ngay", Format: []string{"2006-01-02"}},
			"MaTTHC":       {Column: "tt", Catalog: "LayThuTuc"},
			"TenTTHC":      {FromCatalog: &CatalogRef{Catalog: "LayThuTuc", Key: "MaTTHC"}},
		}, "TenTTHC"), nil},
		{"misspelt", withIdentity("DanhGia", rating, "MaPhiu"), []string{p + `[0]: DanhGia has no field "MaPhiu" (did you mean MaPhieu?)`}},
		{"field of another kind", withIdentity("DanhGia", rating, "NgayTiepNhan"), []string{p + `[0]: DanhGia has no field "NgayTiepNhan"`}},
		{"blank", withIdentity("DanhGia", rating, "MaPhieu", " "), []string{p + "[1]: empty: name a field of DanhGia"}},
		{"twice", withIdentity("DanhGia", rating, "MaPhieu", "maPhieu"), []string{p + "[1]: MaPhieu is named twice"}},
		{"not mapped", withIdentity("DanhGia", rating, "MaPhieu", "MaTieuChi"), []string{
			p + "[1]: MaTieuChi is not mapped: it would be empty in every record and all of them would share one message ID; map it under fields:",
		}},
		{"a list", withIdentity("HoSo", map[string]FieldMapping{"MaHoSo": {Column: "a"}}, "TaiLieuNop"), []string{
			p + "[0]: TaiLieuNop is a list; an identity is made of text, whole-number and date fields",
		}},
	}
	for _, c := range tests {
		t.Run(c.name, func(t *testing.T) {
			got := errorStrings(c.cfg.Validate())
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("Validate =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(c.want, "\n"))
			}
		})
	}
}

// Rows that carry the same MaPhieu are the same message, whatever their
// row key or update time; other values give other identities, and the
// quoting keeps values that contain the separator apart.
func TestIdentity(t *testing.T) {
	m := mustMapper(t, ratingConfig(), Options{Catalogs: ratingCatalogs})
	identity := func(stream, key string, row map[string]any) string {
		t.Helper()
		p, _, err := m.Map(stream, key, row)
		if err != nil {
			t.Fatal(err)
		}
		id, ok := m.Identity(stream, p)
		if !ok {
			t.Fatalf("Identity(%s) not ok", stream)
		}
		return id
	}
	first := identity("danh_gia", "88213", ratingRow(nil))
	if first != `MaPhieu="PDG-20251104-000731"` {
		t.Errorf("identity = %s", first)
	}
	resent := identity("DANH_GIA", "90511", ratingRow(map[string]any{"thoi_gian": "2025-11-04 10:13:02", "ma_phieu": " PDG-20251104-000731"}))
	if resent != first {
		t.Errorf("the re-sent copy has identity %s, the first %s", resent, first)
	}
	if other := identity("danh_gia", "88213", ratingRow(map[string]any{"ma_phieu": "PDG-20251104-000732"})); other == first {
		t.Errorf("another form has the same identity %s", other)
	}
	if got := m.IdentityFields("danh_gia"); !reflect.DeepEqual(got, []string{"MaPhieu"}) {
		t.Errorf("IdentityFields = %v", got)
	}

	// Several fields, of every kind an identity may hold, in the configured order.
	cfg := Config{Streams: map[string]StreamMapping{"ho_so": {
		Packet:   "HoSo",
		Identity: []string{"SoBienNhan", "MaHoSo", "NgayTiepNhan"},
		Fields: map[string]FieldMapping{
			"MaHoSo":       {Column: "ma"},
			"SoBienNhan":   {Column: "so"},
			"NgayTiepNhan": {Column: "ngay", Format: []string{"2006-01-02 15:04"}},
		},
	}}}
	hm := mustMapper(t, cfg, Options{})
	ids := map[string]string{}
	for _, row := range []map[string]any{
		{"ma": "a|b", "so": `c"`, "ngay": "2025-11-03 08:15"},
		{"ma": "a", "so": `b|c"`, "ngay": "2025-11-03 08:15"},
	} {
		p, _, err := hm.Map("ho_so", "1", row)
		if err != nil {
			t.Fatal(err)
		}
		id, ok := hm.Identity("ho_so", p)
		if !ok {
			t.Fatal("no identity")
		}
		if prev, dup := ids[id]; dup {
			t.Errorf("rows %v and %v share identity %s", prev, row, id)
		}
		ids[id] = row["ma"].(string)
	}
	if _, ok := ids[`SoBienNhan="c\""|MaHoSo="a|b"|NgayTiepNhan="20251103081500"`]; !ok {
		t.Errorf("identities %v lack the quoted form of the first row", ids)
	}
}

func TestIdentityAbsent(t *testing.T) {
	cfg := ratingConfig()
	cfg.Streams["ho_so"] = StreamMapping{Packet: "HoSo", Fields: map[string]FieldMapping{"MaHoSo": {Column: "ma"}}}
	m := mustMapper(t, cfg, Options{Catalogs: ratingCatalogs})
	dossier, _, err := m.Map("ho_so", "1", map[string]any{"ma": "000.00.12.H29-251103-0042"})
	if err != nil {
		t.Fatal(err)
	}
	rating, _, err := m.Map("danh_gia", "1", ratingRow(nil))
	if err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]struct {
		stream string
		p      *packets.Packet
	}{
		"stream without identity": {"ho_so", dossier},
		"unknown stream":          {"khao_sat", rating},
		"packet of another kind":  {"danh_gia", dossier},
		"nil packet":              {"danh_gia", nil},
		"kind without its body":   {"danh_gia", &packets.Packet{Header: packets.Header{LoaiGoiTin: packets.KindRating}}},
	} {
		if id, ok := m.Identity(c.stream, c.p); ok || id != "" {
			t.Errorf("%s: Identity = %q, %v; want none", name, id, ok)
		}
	}
	if got := m.IdentityFields("ho_so"); got != nil {
		t.Errorf("IdentityFields(ho_so) = %v, want nil", got)
	}
	if got := m.IdentityFields("khao_sat"); got != nil {
		t.Errorf("IdentityFields of an unknown stream = %v, want nil", got)
	}
}

// A record whose identity is empty cannot be told from any other: it is
// refused, naming the field, rather than sharing one message ID with all
// the others.
func TestIdentityEmptyRefused(t *testing.T) {
	cfg := ratingConfig()
	sm := cfg.Streams["danh_gia"]
	sm.Fields["MaPhieu"] = FieldMapping{Column: "ma_phieu", Nulls: []string{"0"}}
	cfg.Streams["danh_gia"] = sm
	m := mustMapper(t, cfg, Options{Catalogs: ratingCatalogs})
	for _, v := range []any{nil, "", "0", "  "} {
		_, _, err := m.Map("danh_gia", "88213", ratingRow(map[string]any{"ma_phieu": v}))
		want := "danh_gia 88213: field MaPhieu (column ma_phieu): empty, but it identifies the message (mapping.streams.danh_gia.identity); " +
			"without it a re-sent copy could not be told from a new message: fix the source or map the field from another column"
		if err == nil || err.Error() != want {
			t.Errorf("ma_phieu %q: Map error = %v\nwant %s", v, err, want)
		}
	}
}

func TestIdentityDecode(t *testing.T) {
	for name, doc := range map[string]string{
		"list":       "mapping:\n  streams:\n    danh_gia:\n      packet: DanhGia\n      identity: [MaPhieu]\n      fields: {MaPhieu: id}\n",
		"one string": "mapping:\n  streams:\n    danh_gia:\n      packet: DanhGia\n      identity: MaPhieu\n      fields: {MaPhieu: id}\n",
	} {
		for _, viper := range []bool{false, true} {
			cfg, err := decodeConfigYAML([]byte(doc), viper)
			if err != nil {
				t.Fatalf("%s (viper %v): %v", name, viper, err)
			}
			m, err := New(cfg, Options{})
			if err != nil {
				t.Fatalf("%s (viper %v): %v", name, viper, err)
			}
			if got := m.IdentityFields("danh_gia"); !reflect.DeepEqual(got, []string{"MaPhieu"}) {
				t.Errorf("%s (viper %v): IdentityFields = %v", name, viper, got)
			}
		}
	}
}

// FuzzIdentity: two records have the same identity exactly when their
// identity fields were mapped to the same values, whatever characters
// those hold (the separator, quotes, backslashes, any Unicode).
func FuzzIdentity(f *testing.F) {
	f.Add("a|b", `c"`, "a", `b|c"`)
	f.Add(`x\"`, "", `x\`, `"`)
	f.Add("Hà Nội", "1", "Ha\u0300 Nội", "1")
	cfg := Config{Streams: map[string]StreamMapping{"s": {
		Packet:   "HoSo",
		Identity: []string{"MaHoSo", "SoBienNhan"},
		Fields:   map[string]FieldMapping{"MaHoSo": {Column: "a"}, "SoBienNhan": {Column: "b", Default: "-"}},
	}}}
	m, err := New(cfg, Options{})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, a1, b1, a2, b2 string) {
		p1, _, err1 := m.Map("s", "1", map[string]any{"a": a1, "b": b1})
		p2, _, err2 := m.Map("s", "2", map[string]any{"a": a2, "b": b2})
		if err1 != nil || err2 != nil {
			return
		}
		id1, ok1 := m.Identity("s", p1)
		id2, ok2 := m.Identity("s", p2)
		if !ok1 || !ok2 || !utf8.ValidString(id1) {
			t.Fatalf("identities %q %v, %q %v", id1, ok1, id2, ok2)
		}
		same := p1.Dossier.MaHoSo == p2.Dossier.MaHoSo && p1.Dossier.SoBienNhan == p2.Dossier.SoBienNhan
		if (id1 == id2) != same {
			t.Fatalf("values (%q, %q) and (%q, %q): identities %s and %s", p1.Dossier.MaHoSo, p1.Dossier.SoBienNhan,
				p2.Dossier.MaHoSo, p2.Dossier.SoBienNhan, id1, id2)
		}
	})
}
