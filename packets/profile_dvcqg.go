package packets

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strconv"
	"time"
	"unicode/utf8"
)

// ProfileDVCQG is the name of the JSON profile of the national portal's
// services (SPEC-dvcqg.md), reached through LGSP.
const ProfileDVCQG = "dvcqg"

// The national portal's service for each packet kind.
var dvcqgServices = map[Kind]string{
	KindDossier:  "DongBoHoSoMC",
	KindProgress: "CapNhatTienDoHoSoMC",
}

func init() { registerProfile(dvcqg{}) }

// DVCQGService returns the national portal service that carries packets of
// kind k, e.g. "DongBoHoSoMC" for KindDossier.
func DVCQGService(k Kind) (string, bool) {
	s, ok := dvcqgServices[k]
	return s, ok
}

// dvcqg writes the request envelope of the national portal minus the
// session, which the transport adds after login:
//
//	{"madonvi":"000.00.12.H29","service":"DongBoHoSoMC","isUpdating":"False","data":[{…}]}
//	{"madonvi":"000.00.12.H29","service":"CapNhatTienDoHoSoMC","data":[{…}]}
//
// Items carry every field of SPEC-dvcqg.md §3/§4 in model order: text as
// JSON strings ("" when unset), dates as "yyyyMMddHHmmss", lists as arrays
// ([] when empty), and the int fields of DanhSachTepDinhKemKhac and
// DanhSachHoSoBoSung as JSON numbers (SPEC-dvcqg.md §15).
//
// Single ratings (DanhGia) have no service: the portal takes only their
// monthly summary, DongBoDanhGia, so encoding one is an error.
//
// Of the header only MaDonViGui (as madonvi) and LoaiGoiTin (as service)
// travel. MaGoiTin cannot: the transport sends it as the Idempotency-Key
// HTTP header, the same on every retry. isUpdating is always "False" here;
// a caller that re-sends a known dossier builds its own envelope around
// EncodeDVCQGItem.
type dvcqg struct{}

func (dvcqg) Name() string        { return ProfileDVCQG }
func (dvcqg) ContentType() string { return "application/json; charset=utf-8" }

func (dvcqg) Encode(p *Packet) ([]byte, error) {
	if p == nil {
		return nil, errors.New("dvcqg encode: packet is nil")
	}
	item, kind, err := encodeDVCQGItem(p)
	if err != nil {
		return nil, fmt.Errorf("dvcqg encode: %w", err)
	}
	if !utf8.ValidString(p.Header.MaDonViGui) {
		return nil, fmt.Errorf("dvcqg encode packet %q: MaDonViGui is not valid UTF-8", p.Header.MaGoiTin)
	}
	var b bytes.Buffer
	b.WriteString(`{"madonvi":`)
	writeJSONString(&b, p.Header.MaDonViGui)
	b.WriteString(`,"service":`)
	writeJSONString(&b, dvcqgServices[kind])
	if kind == KindDossier {
		b.WriteString(`,"isUpdating":"False"`)
	}
	b.WriteString(`,"data":[`)
	b.Write(item)
	b.WriteString(`]}`)
	if b.Len() > MaxPacketSize {
		return nil, fmt.Errorf("dvcqg encode packet %q: %d bytes, more than the %d-byte limit", p.Header.MaGoiTin, b.Len(), MaxPacketSize)
	}
	return b.Bytes(), nil
}

// EncodeDVCQGItem writes the body of p as one item of a national portal
// "data" array, for callers that batch several items into one envelope
// (progress steps go at most 10 per call). DVCQGService names the service.
func EncodeDVCQGItem(p *Packet) ([]byte, error) {
	if p == nil {
		return nil, errors.New("dvcqg encode item: packet is nil")
	}
	item, _, err := encodeDVCQGItem(p)
	if err != nil {
		return nil, fmt.Errorf("dvcqg encode item: %w", err)
	}
	return item, nil
}

func encodeDVCQGItem(p *Packet) ([]byte, Kind, error) {
	bodyName, body, desc, err := bodyOf(p)
	if err != nil {
		return nil, "", err
	}
	if _, ok := dvcqgServices[Kind(bodyName)]; !ok {
		return nil, "", unsupportedDVCQG(p, Kind(bodyName))
	}
	var bad error
	walkText(body, desc, "", func(path, _, value string) {
		if !utf8.ValidString(value) && bad == nil {
			bad = fmt.Errorf("%s.%s is not valid UTF-8", bodyName, path)
		}
	})
	if bad != nil {
		return nil, "", fmt.Errorf("packet %q: %w", p.Header.MaGoiTin, bad)
	}
	if err := checkTimes(body, desc, bodyName+"."); err != nil {
		return nil, "", fmt.Errorf("packet %q: %w", p.Header.MaGoiTin, err)
	}
	var b bytes.Buffer
	writeJSONItem(&b, body, desc)
	return b.Bytes(), Kind(bodyName), nil
}

// unsupportedDVCQG explains why the national portal cannot take a body.
func unsupportedDVCQG(p *Packet, k Kind) error {
	if k == KindRating {
		return fmt.Errorf("packet %q is a single rating (DanhGia), which the national portal does not take: "+
			"it takes only the monthly summary of ratings (DongBoDanhGia). Send single ratings with the %s profile",
			p.Header.MaGoiTin, ProfileHCMLGSP)
	}
	return fmt.Errorf("packet %q: the national portal has no service for %s packets", p.Header.MaGoiTin, k)
}

func writeJSONItem(b *bytes.Buffer, v reflect.Value, d *structDesc) {
	b.WriteByte('{')
	for i, f := range d.fields {
		if i > 0 {
			b.WriteByte(',')
		}
		writeJSONString(b, f.name)
		b.WriteByte(':')
		fv := v.Field(f.index)
		switch f.kind {
		case textField:
			writeJSONString(b, fv.String())
		case timeField:
			writeJSONString(b, FormatTime(fv.Interface().(Time)))
		case instantField:
			writeJSONString(b, FormatTime(At(fv.Interface().(time.Time))))
		case intField:
			b.WriteString(strconv.FormatInt(fv.Int(), 10))
		case listField:
			b.WriteByte('[')
			for j := range fv.Len() {
				if j > 0 {
					b.WriteByte(',')
				}
				writeJSONItem(b, fv.Index(j), f.item)
			}
			b.WriteByte(']')
		}
	}
	b.WriteByte('}')
}

// writeJSONString writes s (valid UTF-8) as a JSON string, leaving <, >
// and & readable; encoding/json does the escaping.
func writeJSONString(b *bytes.Buffer, s string) {
	enc := json.NewEncoder(b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)       // cannot fail for a string into a bytes.Buffer
	b.Truncate(b.Len() - 1) // Encode ends with a newline
}

// Decode reads an envelope written by Encode (a "session" key, which the
// transport adds, is accepted and ignored). The packet has LoaiGoiTin and
// MaDonViGui set from service and madonvi; the rest of the header does not
// travel in this profile. Keys must be the SPEC-dvcqg.md names, text must
// be JSON strings, and "data" must hold exactly one item.
func (dvcqg) Decode(b []byte) (*Packet, error) {
	p, err := decodeDVCQG(b)
	if err != nil {
		return nil, fmt.Errorf("dvcqg decode: %w", err)
	}
	return p, nil
}

func decodeDVCQG(b []byte) (*Packet, error) {
	switch {
	case len(b) > MaxPacketSize:
		return nil, fmt.Errorf("packet is %d bytes, more than the %d-byte limit", len(b), MaxPacketSize)
	case !utf8.Valid(b):
		// encoding/json would silently turn bad bytes into U+FFFD.
		return nil, errors.New("packet is not valid UTF-8")
	}
	dec := newJSONDecoder(b)
	if err := expectDelim(dec, '{', "envelope"); err != nil {
		return nil, err
	}
	p := &Packet{}
	var service string
	var data json.RawMessage
	seen := map[string]bool{}
	for dec.More() {
		key, err := objectKey(dec, "envelope", seen)
		if err != nil {
			return nil, err
		}
		switch key {
		case "data":
			if err := dec.Decode(&data); err != nil {
				return nil, jsonError("envelope.data", err)
			}
			continue
		case "madonvi", "service", "isUpdating", "session":
		default:
			return nil, fmt.Errorf("envelope: unknown key %q (want madonvi, service, isUpdating, data)", key)
		}
		s, err := stringValue(dec, "envelope."+key)
		if err != nil {
			return nil, err
		}
		switch key {
		case "madonvi":
			p.Header.MaDonViGui = s
		case "service":
			service = s
		case "isUpdating":
			if s != "True" && s != "False" {
				return nil, fmt.Errorf("envelope.isUpdating: %q, want \"True\" or \"False\"", s)
			}
		}
	}
	if err := expectDelim(dec, '}', "envelope"); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("data after the envelope's closing brace")
	}

	var kind Kind
	for k, s := range dvcqgServices {
		if s == service {
			kind = k
		}
	}
	if kind == "" {
		return nil, fmt.Errorf("envelope.service %q: want DongBoHoSoMC or CapNhatTienDoHoSoMC", service)
	}
	if data == nil {
		return nil, errors.New("envelope has no data")
	}
	p.Header.LoaiGoiTin = kind
	v, desc, _ := newBody(p, kind)

	dec = newJSONDecoder(data)
	if err := expectDelim(dec, '[', "data"); err != nil {
		return nil, err
	}
	if !dec.More() {
		return nil, errors.New("data is empty; want exactly one item")
	}
	if err := decodeJSONObject(dec, v, desc, "data[0]"); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, errors.New("data has more than one item; Decode reads packets of exactly one")
	}
	if err := expectDelim(dec, ']', "data"); err != nil {
		return nil, err
	}
	return p, nil
}

func newJSONDecoder(b []byte) *json.Decoder {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	return dec
}

// nextToken reads one token, naming a premature end for what it is.
func nextToken(dec *json.Decoder, path string) (json.Token, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, jsonError(path, err)
	}
	return tok, nil
}

func jsonError(path string, err error) error {
	if err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("%s: unexpected end of input", path)
	}
	return fmt.Errorf("%s: %w", path, err)
}

func expectDelim(dec *json.Decoder, want json.Delim, path string) error {
	tok, err := nextToken(dec, path)
	if err != nil {
		return err
	}
	if d, ok := tok.(json.Delim); !ok || d != want {
		return fmt.Errorf("%s: found %s, want %q", path, describeToken(tok), string(want))
	}
	return nil
}

func objectKey(dec *json.Decoder, path string, seen map[string]bool) (string, error) {
	tok, err := nextToken(dec, path)
	if err != nil {
		return "", err
	}
	key, ok := tok.(string)
	if !ok { // Token reports malformed keys as errors; this is a safety net
		return "", fmt.Errorf("%s: found %s, want a key", path, describeToken(tok))
	}
	if seen[key] {
		return "", fmt.Errorf("%s: key %q appears twice", path, key)
	}
	seen[key] = true
	return key, nil
}

func stringValue(dec *json.Decoder, path string) (string, error) {
	tok, err := nextToken(dec, path)
	if err != nil {
		return "", err
	}
	s, ok := tok.(string)
	if !ok {
		return "", fmt.Errorf("%s: found %s, want a JSON string", path, describeToken(tok))
	}
	return s, nil
}

func describeToken(tok json.Token) string {
	switch t := tok.(type) {
	case json.Delim:
		return fmt.Sprintf("%q", string(t))
	case string:
		return "a string"
	case json.Number:
		return "the number " + abbreviate(string(t))
	case bool:
		return fmt.Sprintf("%t", t)
	case nil:
		return "null"
	}
	return fmt.Sprintf("%T", tok)
}

// decodeJSONObject reads one item into v. Unknown keys are refused before
// their value is read, so nesting is bounded by the model.
func decodeJSONObject(dec *json.Decoder, v reflect.Value, d *structDesc, path string) error {
	if err := expectDelim(dec, '{', path); err != nil {
		return err
	}
	seen := map[string]bool{}
	for dec.More() {
		key, err := objectKey(dec, path, seen)
		if err != nil {
			return err
		}
		f, ok := d.field(key)
		if !ok {
			return fmt.Errorf("%s: unknown key %q", path, key)
		}
		fpath := path + "." + key
		fv := v.Field(f.index)
		switch f.kind {
		case listField:
			tok, err := nextToken(dec, fpath)
			if err != nil {
				return err
			}
			if tok == nil {
				continue // null: no items
			}
			if d, ok := tok.(json.Delim); !ok || d != '[' {
				return fmt.Errorf("%s: found %s, want an array", fpath, describeToken(tok))
			}
			for i := 0; dec.More(); i++ {
				iv := reflect.New(f.item.typ).Elem()
				if err := decodeJSONObject(dec, iv, f.item, fmt.Sprintf("%s[%d]", fpath, i)); err != nil {
					return err
				}
				fv.Set(reflect.Append(fv, iv))
			}
			if err := expectDelim(dec, ']', fpath); err != nil {
				return err
			}
		case intField:
			tok, err := nextToken(dec, fpath)
			if err != nil {
				return err
			}
			n, ok := tok.(json.Number)
			if !ok {
				return fmt.Errorf("%s: found %s, want a JSON number", fpath, describeToken(tok))
			}
			if err := setScalar(fv, intField, string(n)); err != nil {
				return fmt.Errorf("%s: %w", fpath, err)
			}
		default:
			s, err := stringValue(dec, fpath)
			if err != nil {
				return err
			}
			if err := setScalar(fv, f.kind, s); err != nil {
				return fmt.Errorf("%s: %w", fpath, err)
			}
		}
	}
	return expectDelim(dec, '}', path)
}
