package catalog

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/hcmc-lgsp/lgsp-connector/internal/lgsp"
)

// The city's shared catalogs (units, officials, procedures, rating
// criteria) are JSON read through LGSP with GET. HCM LGSP has not
// published their format, so this is ours until it does; the field names
// are configuration (catalogs.city_fields). The body is an array of
// objects, or an object carrying the array in "data" or "result" (the
// usual LGSP wrappers; a non-zero "error_code" beside it is a failure):
//
//	[
//	  {"Ma": "000.00.12.H29", "Ten": "Phường Sài Gòn", "MaCha": "000.00.00.H29",
//	   "HieuLucTu": "2025-07-01", "HieuLucDen": null, "LoaiDonVi": "Phường"},
//	  {"Ma": "000.00.01.H29", "Ten": "Ủy ban nhân dân Quận 1", "MaCha": "000.00.00.H29",
//	   "HieuLucTu": "2008-01-01", "HieuLucDen": "2025-06-30", "MaDonViKeNhiem": "000.00.12.H29"}
//	]
//
// Ma (code) is required and Ten (name) expected; MaCha (parent),
// HieuLucTu and HieuLucDen (validity, inclusive, YYYY-MM-DD or
// dd/MM/yyyy) are optional. Every other field is kept as an extra
// attribute: text and numbers as written, true/false, objects and lists
// as compact JSON; null is left out.

// CityFields names the JSON fields of a city catalog entry.
type CityFields struct {
	Code      string `json:"code"`
	Name      string `json:"name"`
	Parent    string `json:"parent"`
	ValidFrom string `json:"valid_from"`
	ValidTo   string `json:"valid_to"`
}

// DefaultCityFields are the field names of the documented format.
func DefaultCityFields() CityFields {
	return CityFields{Code: "Ma", Name: "Ten", Parent: "MaCha", ValidFrom: "HieuLucTu", ValidTo: "HieuLucDen"}
}

// withDefaults fills unset names from DefaultCityFields.
func (f CityFields) withDefaults() CityFields {
	d := DefaultCityFields()
	for _, p := range []struct{ v, def *string }{
		{&f.Code, &d.Code}, {&f.Name, &d.Name}, {&f.Parent, &d.Parent}, {&f.ValidFrom, &d.ValidFrom}, {&f.ValidTo, &d.ValidTo},
	} {
		if strings.TrimSpace(*p.v) == "" {
			*p.v = *p.def
		}
	}
	return f
}

// Getter reads a resource through LGSP; *lgsp.Client satisfies it through
// LGSPGetter.
type Getter interface {
	Get(ctx context.Context, path string) ([]byte, error)
}

// CityFetcher fetches the city's catalogs, one endpoint per catalog.
type CityFetcher struct {
	get       Getter
	endpoints map[string]string
	fields    CityFields
}

// NewCityFetcher fetches each catalog in endpoints (catalog name → LGSP
// path) through get. Unset field names take DefaultCityFields.
func NewCityFetcher(get Getter, endpoints map[string]string, fields CityFields) (*CityFetcher, error) {
	if get == nil {
		return nil, errors.New("city catalogs: no LGSP client")
	}
	f := &CityFetcher{get: get, endpoints: map[string]string{}, fields: fields.withDefaults()}
	var errs []error
	for name, path := range endpoints {
		switch {
		case !ValidName(name):
			errs = append(errs, fmt.Errorf("city catalog name %q: use letters, digits and _", name))
		case strings.TrimSpace(path) == "":
			errs = append(errs, fmt.Errorf("city catalog %s: empty endpoint", name))
		default:
			f.endpoints[name] = strings.TrimSpace(path)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return f, nil
}

// Names lists the catalogs this fetcher serves, sorted.
func (f *CityFetcher) Names() []string {
	out := make([]string, 0, len(f.endpoints))
	for n := range f.endpoints {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Source implements Describer: the LGSP path.
func (f *CityFetcher) Source(name string) string { return "lgsp " + f.endpoints[name] }

// Fetch implements Fetcher.
func (f *CityFetcher) Fetch(ctx context.Context, name string) ([]Entry, error) {
	path, ok := f.endpoints[name]
	if !ok {
		return nil, fmt.Errorf("city catalog %q has no endpoint (catalogs.city.%s)", name, name)
	}
	body, err := f.get.Get(ctx, path)
	if err != nil {
		return nil, err
	}
	entries, err := ParseCity(body, f.fields)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return entries, nil
}

// ParseCity reads a city catalog body (see the format above).
func ParseCity(body []byte, fields CityFields) ([]Entry, error) {
	fields = fields.withDefaults()
	items, err := cityItems(body)
	if err != nil {
		return nil, err
	}
	out := make([]Entry, 0, len(items))
	for i, raw := range items {
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(raw, &obj); err != nil || obj == nil {
			return nil, fmt.Errorf("item %d is not a JSON object", i)
		}
		e, err := cityEntry(obj, fields)
		if err != nil {
			return nil, fmt.Errorf("item %d: %w", i, err)
		}
		out = append(out, e)
	}
	return out, nil
}

func cityItems(body []byte) ([]json.RawMessage, error) {
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		return nil, errors.New("empty response; want a JSON array of catalog entries")
	}
	var items []json.RawMessage
	switch body[0] {
	case '[':
		if err := json.Unmarshal(body, &items); err != nil {
			return nil, fmt.Errorf("not a JSON array: %v", err)
		}
		return items, nil
	case '{':
		var wrap struct {
			ErrorCode json.RawMessage   `json:"error_code"`
			Message   string            `json:"message"`
			Data      []json.RawMessage `json:"data"`
			Result    []json.RawMessage `json:"result"`
		}
		if err := json.Unmarshal(body, &wrap); err != nil {
			return nil, fmt.Errorf("not a JSON array or an object with data/result: %v", err)
		}
		if code := strings.Trim(string(wrap.ErrorCode), `" `); code != "" && code != "0" && code != "null" {
			return nil, fmt.Errorf("the server answered error_code %s: %s", code, shortText(wrap.Message))
		}
		switch {
		case wrap.Data != nil:
			return wrap.Data, nil
		case wrap.Result != nil:
			return wrap.Result, nil
		}
		return nil, errors.New("the JSON object has neither a data nor a result array")
	}
	return nil, errors.New("not JSON; want an array of catalog entries (is the endpoint right?)")
}

func cityEntry(obj map[string]json.RawMessage, f CityFields) (Entry, error) {
	var e Entry
	text := func(key string) (string, bool, error) {
		raw, ok := obj[key]
		if !ok {
			return "", false, nil
		}
		s, ok := scalarJSON(raw)
		if !ok {
			return "", true, fmt.Errorf("field %q must be text or a number", key)
		}
		return s, true, nil
	}
	var err error
	var present bool
	if e.Code, present, err = text(f.Code); err != nil {
		return e, err
	} else if !present || strings.TrimSpace(e.Code) == "" {
		return e, fmt.Errorf("no code: field %q is missing or empty (set catalogs.city_fields.code if the city names it otherwise)", f.Code)
	}
	for _, p := range []struct {
		key string
		dst *string
	}{{f.Name, &e.Name}, {f.Parent, &e.Parent}, {f.ValidFrom, &e.ValidFrom}, {f.ValidTo, &e.ValidTo}} {
		if *p.dst, _, err = text(p.key); err != nil {
			return e, fmt.Errorf("code %q: %w", e.Code, err)
		}
	}
	known := map[string]bool{f.Code: true, f.Name: true, f.Parent: true, f.ValidFrom: true, f.ValidTo: true}
	for k, raw := range obj {
		if known[k] {
			continue
		}
		v, ok := extraJSON(raw)
		if !ok {
			continue
		}
		if e.Extra == nil {
			e.Extra = map[string]string{}
		}
		e.Extra[k] = v
	}
	return e, nil
}

// scalarJSON renders a JSON string, number or boolean as text; null is
// "". Objects and arrays are not scalars.
func scalarJSON(raw json.RawMessage) (string, bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return "", false
	}
	switch raw[0] {
	case '"':
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return "", false
		}
		return s, true
	case 'n':
		return "", string(raw) == "null"
	case 't', 'f':
		return string(raw), string(raw) == "true" || string(raw) == "false"
	case '{', '[':
		return "", false
	}
	var n json.Number
	if err := json.Unmarshal(raw, &n); err != nil {
		return "", false
	}
	return n.String(), true
}

// extraJSON renders any JSON value for Extra: scalars as text, objects
// and lists as compact JSON. null, empty values and values longer than
// an extra attribute may be are left out (ok false).
func extraJSON(raw json.RawMessage) (string, bool) {
	if s, ok := scalarJSON(raw); ok {
		return s, s != ""
	}
	var b bytes.Buffer
	if err := json.Compact(&b, raw); err != nil || b.Len() > maxExtraValue {
		return "", false
	}
	return b.String(), true
}

// anyText renders a value decoded by encoding/json (the portal client's
// rows) as text: strings as they are, numbers without exponent, booleans
// as true/false. ok is false for null, objects and lists.
func anyText(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case json.Number:
		return x.String(), true
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), true
	case int:
		return strconv.Itoa(x), true
	case int64:
		return strconv.FormatInt(x, 10), true
	case bool:
		return strconv.FormatBool(x), true
	}
	return "", false
}

// LGSPGetter reads city catalogs with the LGSP transport: token, TLS,
// static headers and quick retries as for packets.
type LGSPGetter struct {
	Client *lgsp.Client
	// Limit bounds one response; lgsp.DefaultGetLimit when 0.
	Limit int64
}

// Get implements Getter.
func (g LGSPGetter) Get(ctx context.Context, path string) ([]byte, error) {
	body, res := g.Client.Get(ctx, path, g.Limit)
	if res.Err != nil {
		return nil, res.Err
	}
	return body, nil
}

// Interface guards.
var (
	_ Fetcher   = (*CityFetcher)(nil)
	_ Describer = (*CityFetcher)(nil)
	_ Getter    = LGSPGetter{}
)
