package packets

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// docs/packets.md is the profile's user documentation; these tests keep
// its examples and field tables true to the code.

const docsPath = "../docs/packets.md"

func readDocs(t *testing.T) []string {
	t.Helper()
	f, err := os.Open(docsPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return lines
}

// markedBlocks returns what follows each "<!-- kind: name -->" line up to
// the end of the block: the fenced code, or the table.
func markedBlocks(lines []string, kind string) map[string][]string {
	out := map[string][]string{}
	prefix := "<!-- " + kind + ": "
	for i, line := range lines {
		name, ok := strings.CutPrefix(line, prefix)
		if !ok {
			continue
		}
		name = strings.TrimSuffix(name, " -->")
		var block []string
		j := i + 1
		if strings.HasPrefix(lines[j], "```") {
			for j++; j < len(lines) && !strings.HasPrefix(lines[j], "```"); j++ {
				block = append(block, lines[j])
			}
		} else {
			for ; j < len(lines) && strings.HasPrefix(lines[j], "|"); j++ {
				block = append(block, lines[j])
			}
		}
		out[name] = block
	}
	return out
}

// Every pretty-printed example decodes to the same packet as its golden
// file, so the page shows what the connector sends.
func TestDocsExamples(t *testing.T) {
	examples := markedBlocks(readDocs(t), "example")
	for _, golden := range []string{"hoso.hcm-lgsp.xml", "tiendoxuly.hcm-lgsp.xml", "danhgia.hcm-lgsp.xml", "tiendoxuly.dvcqg.json"} {
		block, ok := examples[golden]
		if !ok {
			t.Errorf("%s has no example marked %s", docsPath, golden)
			continue
		}
		prof := mustProfile(t, ProfileHCMLGSP)
		if strings.HasSuffix(golden, ".json") {
			prof = mustProfile(t, ProfileDVCQG)
		}
		want, err := os.ReadFile(filepath.Join("testdata", golden))
		if err != nil {
			t.Fatal(err)
		}
		wantPacket, err := prof.Decode(want)
		if err != nil {
			t.Fatal(err)
		}
		got, err := prof.Decode([]byte(strings.Join(block, "\n")))
		if err != nil {
			t.Errorf("example %s does not decode: %v", golden, err)
			continue
		}
		if !reflect.DeepEqual(got, wantPacket) {
			t.Errorf("example %s differs from testdata/%s", golden, golden)
		}
	}
}

// The compact example is byte for byte what Encode writes.
func TestDocsWireExample(t *testing.T) {
	block, ok := markedBlocks(readDocs(t), "wire")["tiendoxuly.hcm-lgsp.xml"]
	if !ok || len(block) != 1 {
		t.Fatalf("%s has no one-line wire example marked tiendoxuly.hcm-lgsp.xml", docsPath)
	}
	want, err := os.ReadFile(filepath.Join("testdata", "tiendoxuly.hcm-lgsp.xml"))
	if err != nil {
		t.Fatal(err)
	}
	if block[0] != string(want) {
		t.Errorf("wire example differs from testdata/tiendoxuly.hcm-lgsp.xml:\n%s\n%s", block[0], want)
	}
}

// The field tables list every element in wire order, with the length limit
// Validate applies and the required flag Validate enforces.
func TestDocsFieldTables(t *testing.T) {
	tables := markedBlocks(readDocs(t), "fields")
	descs := map[string]*structDesc{"ThongTinGoiTin": headerDesc, "HoSo": dossierDesc, "TienDoXuLy": progressDesc, "DanhGia": ratingDesc}
	var addItems func(d *structDesc)
	addItems = func(d *structDesc) {
		for _, f := range d.fields {
			if f.kind == listField {
				descs[f.item.itemName] = f.item
				addItems(f.item)
			}
		}
	}
	addItems(dossierDesc)

	for name, d := range descs {
		rows := tables[name]
		if len(rows) < 2 {
			t.Errorf("%s has no field table for %s", docsPath, name)
			continue
		}
		rows = rows[2:] // header and separator
		if len(rows) != len(d.fields) {
			t.Errorf("table %s has %d rows, %s has %d fields", name, len(rows), d.typ.Name(), len(d.fields))
			continue
		}
		for i, f := range d.fields {
			cells := strings.Split(rows[i], "|")
			if len(cells) < 6 {
				t.Errorf("table %s row %d is malformed: %s", name, i, rows[i])
				continue
			}
			element, typ := strings.TrimSpace(cells[1]), strings.TrimSpace(cells[2])
			required, max := strings.TrimSpace(cells[3]), strings.TrimSpace(cells[4])
			if element != "`"+f.name+"`" {
				t.Errorf("table %s row %d is %s, want `%s`", name, i, element, f.name)
				continue
			}
			wantMax := "—"
			wantType := ""
			switch f.kind {
			case textField:
				limit, ok := textLimits[f.name]
				if !ok {
					limit = defaultTextLimit
				}
				wantMax = fmt.Sprint(limit)
			case timeField, instantField:
				wantType = "date"
			case intField:
				wantType = "int"
			case listField:
				wantType = "list of `" + f.item.itemName + "`"
			}
			if max != wantMax {
				t.Errorf("table %s: %s max %q, code says %q", name, f.name, max, wantMax)
			}
			if wantType != "" && typ != wantType {
				t.Errorf("table %s: %s type %q, want %q", name, f.name, typ, wantType)
			}
			if want := requiredness(t, name, f); required != want {
				t.Errorf("table %s: %s required %q, Validate behaves as %q", name, f.name, required, want)
			}
		}
	}
}

// requiredness finds out from Validate whether a field is required: "yes",
// "catalog" (only with RequireCatalogFields) or "". Rating fields have
// conditional rules of their own: see ratingRequiredness.
func requiredness(t *testing.T, table string, f fieldDesc) string {
	if table == "DanhGia" {
		return ratingRequiredness(f)
	}
	failsWhenEmpty := func(opts ValidateOptions) bool {
		var p *Packet
		var v reflect.Value
		switch table {
		case "ThongTinGoiTin":
			p = exampleProgressPacket()
			v = reflect.ValueOf(&p.Header).Elem()
		case "HoSo":
			p = everyFieldDossierPacket()
			v = reflect.ValueOf(p.Dossier).Elem()
		case "TienDoXuLy":
			p = exampleProgressPacket()
			v = reflect.ValueOf(p.Progress).Elem()
		default:
			return false // list items have no required fields
		}
		fv := v.Field(f.index)
		fv.Set(reflect.Zero(fv.Type()))
		_, err := Validate(p, opts)
		return err != nil
	}
	switch {
	case failsWhenEmpty(ValidateOptions{}):
		return "yes"
	case failsWhenEmpty(ValidateOptions{RequireCatalogFields: true}):
		return "catalog"
	}
	return ""
}

// ratingRequiredness probes Validate with the two kinds of answer: a
// satisfaction level owing a reason (exampleRatingPacket) and an indicator
// score (exampleScorePacket). It returns "yes" (always required), "one of"
// (MucDoHaiLong and Diem: exactly one), "if 4 or 5" (LyDo: with a
// dissatisfied level), "with Diem" (MaTieuChi: an indicator for the
// score) or "".
func ratingRequiredness(f fieldDesc) string {
	fails := func(p *Packet) bool {
		_, err := Validate(p, ValidateOptions{})
		return err != nil
	}
	field := func(p *Packet) reflect.Value { return reflect.ValueOf(p.Rating).Elem().Field(f.index) }
	emptied := func(p *Packet) *Packet {
		fv := field(p)
		fv.Set(reflect.Zero(fv.Type()))
		return p
	}
	satisfied := exampleRatingPacket()
	satisfied.Rating.MucDoHaiLong = "2"
	withScoreValue := exampleRatingPacket()
	field(withScoreValue).Set(field(exampleScorePacket()))

	level := fails(emptied(exampleRatingPacket()))
	score := fails(emptied(exampleScorePacket()))
	switch {
	case level && score:
		return "yes"
	case level && fails(emptied(satisfied)):
		return "one of"
	case level:
		return "if 4 or 5"
	case score && fails(withScoreValue):
		return "one of"
	case score:
		return "with Diem"
	}
	return ""
}

func TestDocsCodeTables(t *testing.T) {
	doc := strings.Join(readDocs(t), "\n")
	for _, list := range []CodeList{Statuses(), Channels(), ApplicantTypes(), DeliveryMethods(), SatisfactionLevels(), Scores(), RatingChannels()} {
		for _, c := range list.Codes() {
			row := fmt.Sprintf("| `%s` | %s | %s |", c.Value, c.Name, c.English)
			if !strings.Contains(doc, row) {
				t.Errorf("%s lacks the %s row %s", docsPath, list.Field(), row)
			}
		}
	}
}
