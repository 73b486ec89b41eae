package catalog

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
)

// The national portal's catalogues (SPEC-dvcqg.md §2, §7) are reached
// through the portal client (connectors/dvcqg), which owns the session
// and the envelope; this adapter only turns its rows into entries. The
// catalog name is the service name: LayDanhMucCoQuan, LayDanhMucLinhVuc,
// LayDanhSachTTHC, LayThuTuc, LayDanhMucTinhThanh …

// ServiceLayThuTuc is the one catalogue fetched code by code: the portal
// answers it for one maTTHC at a time.
const ServiceLayThuTuc = "LayThuTuc"

// CatalogueFunc is the portal client's catalogue call: the service name,
// its parameters (maTTHC for LayThuTuc), and the rows of the answer's
// result, decoded by encoding/json.
type CatalogueFunc func(ctx context.Context, service string, params map[string]string) ([]map[string]any, error)

// RowShape names the fields of a portal row that make an entry. Parent,
// ValidFrom and ValidTo are optional.
type RowShape struct {
	Code      string `json:"code"`
	Name      string `json:"name"`
	Parent    string `json:"parent"`
	ValidFrom string `json:"valid_from"`
	ValidTo   string `json:"valid_to"`
}

// KnownShapes are the row shapes public portal clients show
// (SPEC-dvcqg.md §7). Catalogues not listed here (LayDanhMucTinhThanh …)
// are read by finding the one pair of fields MAx / TENx in their rows;
// DVCQGOptions.Shapes settles any other case.
func KnownShapes() map[string]RowShape {
	return map[string]RowShape{
		"LayDanhMucCoQuan":  {Code: "MADONVI", Name: "TENDONVI"},
		"LayDanhMucLinhVuc": {Code: "MALINHVUC", Name: "TENLINHVUC"},
		"LayDanhSachTTHC":   {Code: "MATTHC", Name: "TENTTHC"},
		ServiceLayThuTuc:    {Code: "MATTHC", Name: "TENTTHC"},
	}
}

// DVCQGOptions configure NewDVCQGFetcher.
type DVCQGOptions struct {
	// Shapes override or add row shapes, by service.
	Shapes map[string]RowShape
	// Params are extra call parameters, by service.
	Params map[string]map[string]string
	// ProcedureCodes lists the MaTTHC LayThuTuc is called for (one call
	// each), e.g. the codes of the cached procedure list. Required to
	// fetch LayThuTuc.
	ProcedureCodes func(ctx context.Context) ([]string, error)
	// Procedure, when set, fetches one procedure's LayThuTuc row instead
	// of the catalogue call (the portal serves LayThuTuc on its
	// integration endpoint; connectors/dvcqg has a method for it):
	//
	//	Procedure: func(ctx context.Context, code string) (map[string]any, bool, error) {
	//		t, found, err := portal.LayThuTuc(ctx, code)
	//		return t.Raw, found, err
	//	}
	Procedure func(ctx context.Context, maTTHC string) (row map[string]any, found bool, err error)
}

// DVCQGFetcher fetches portal catalogues through a CatalogueFunc.
type DVCQGFetcher struct {
	call   CatalogueFunc
	shapes map[string]RowShape
	params map[string]map[string]string
	codes  func(ctx context.Context) ([]string, error)
	one    func(ctx context.Context, maTTHC string) (map[string]any, bool, error)
}

// NewDVCQGFetcher adapts the portal client's catalogue call.
func NewDVCQGFetcher(call CatalogueFunc, o DVCQGOptions) (*DVCQGFetcher, error) {
	if call == nil {
		return nil, errors.New("portal catalogues: no portal client (catalogue function)")
	}
	f := &DVCQGFetcher{call: call, shapes: KnownShapes(), params: o.Params, codes: o.ProcedureCodes, one: o.Procedure}
	var errs []error
	for service, shape := range o.Shapes {
		if strings.TrimSpace(shape.Code) == "" {
			errs = append(errs, fmt.Errorf("portal catalogue %s: the row shape needs the code field", service))
			continue
		}
		f.shapes[service] = shape
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return f, nil
}

// Source implements Describer.
func (f *DVCQGFetcher) Source(name string) string { return "dvcqg " + name }

// Fetch implements Fetcher: name is the portal service.
func (f *DVCQGFetcher) Fetch(ctx context.Context, name string) ([]Entry, error) {
	if name == ServiceLayThuTuc {
		return f.fetchProcedures(ctx)
	}
	rows, err := f.call(ctx, name, f.params[name])
	if err != nil {
		return nil, err
	}
	shape, err := f.shapeOf(name, rows)
	if err != nil {
		return nil, err
	}
	out := make([]Entry, 0, len(rows))
	for i, row := range rows {
		e, err := rowEntry(row, shape)
		if err != nil {
			return nil, fmt.Errorf("%s row %d: %w", name, i, err)
		}
		out = append(out, e)
	}
	return out, nil
}

// fetchProcedures calls LayThuTuc once per procedure code. A code the
// portal does not know (an empty result: a local procedure) is left
// out; any failed call fails the whole refresh, so the cache never holds
// half a catalog.
func (f *DVCQGFetcher) fetchProcedures(ctx context.Context) ([]Entry, error) {
	if f.codes == nil {
		return nil, errors.New("LayThuTuc needs the list of procedure codes to fetch (catalogs.thu_tuc)")
	}
	codes, err := f.codes(ctx)
	if err != nil {
		return nil, fmt.Errorf("LayThuTuc: list of procedure codes: %w", err)
	}
	codes = uniqueSorted(codes)
	shape := f.shapes[ServiceLayThuTuc]
	out := make([]Entry, 0, len(codes))
	for _, code := range codes {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		row, err := f.procedure(ctx, shape, code)
		if err != nil {
			return nil, fmt.Errorf("LayThuTuc maTTHC %q: %w", code, err)
		}
		if row == nil {
			continue
		}
		e, err := rowEntry(row, shape)
		if err != nil {
			return nil, fmt.Errorf("LayThuTuc maTTHC %q: %w", code, err)
		}
		if e.Extra == nil {
			e.Extra = map[string]string{}
		}
		// OpenCPS fills MaLinhVuc/TenLinhVuc from the first sector the
		// procedure belongs to (SPEC-dvcqg.md §3.1); so do we.
		addFirst(e.Extra, row["LINHVUCTHUCHIEN"], "MALINHVUC", "TENLINHVUC")
		addFirst(e.Extra, row["COQUANTHUCHIEN"], "MADONVI", "TENDONVI")
		out = append(out, e)
	}
	return out, nil
}

// procedure returns the LayThuTuc row of code, or nil when the portal
// does not know it.
func (f *DVCQGFetcher) procedure(ctx context.Context, shape RowShape, code string) (map[string]any, error) {
	if f.one != nil {
		row, found, err := f.one(ctx, code)
		if err != nil || !found {
			return nil, err
		}
		return row, nil
	}
	params := map[string]string{"maTTHC": code}
	for k, v := range f.params[ServiceLayThuTuc] {
		params[k] = v
	}
	rows, err := f.call(ctx, ServiceLayThuTuc, params)
	if err != nil {
		return nil, err
	}
	return procedureRow(rows, shape.Code, code), nil
}

// procedureRow picks the row of code from a LayThuTuc answer: the one
// whose code field matches, else the only row.
func procedureRow(rows []map[string]any, field, code string) map[string]any {
	for _, r := range rows {
		if c, ok := anyText(r[field]); ok && strings.TrimSpace(c) == code {
			return r
		}
	}
	if len(rows) == 1 {
		return rows[0]
	}
	return nil
}

// addFirst copies keys from the first object of list into extra, unless
// the row already had them as plain fields.
func addFirst(extra map[string]string, list any, keys ...string) {
	items, ok := list.([]any)
	if !ok || len(items) == 0 {
		return
	}
	first, ok := items[0].(map[string]any)
	if !ok {
		return
	}
	for _, k := range keys {
		if _, set := extra[k]; set {
			continue
		}
		if v, ok := anyText(first[k]); ok && strings.TrimSpace(v) != "" {
			extra[k] = v
		}
	}
}

// shapeOf returns the configured or known shape of service, or guesses
// it from the rows: the one pair of fields MAx and TENx.
func (f *DVCQGFetcher) shapeOf(service string, rows []map[string]any) (RowShape, error) {
	if s, ok := f.shapes[service]; ok {
		return s, nil
	}
	if len(rows) == 0 {
		return RowShape{}, nil // nothing to read; the Syncer decides about empty answers
	}
	fields := map[string]bool{}
	for k := range rows[0] {
		fields[k] = true
	}
	var pairs []RowShape
	for k := range fields {
		upper := strings.ToUpper(k)
		if !strings.HasPrefix(upper, "MA") || len(upper) < 3 {
			continue
		}
		for n := range fields {
			if strings.EqualFold(n, "TEN"+k[2:]) {
				pairs = append(pairs, RowShape{Code: k, Name: n})
			}
		}
	}
	if len(pairs) == 1 {
		return pairs[0], nil
	}
	names := make([]string, 0, len(fields))
	for k := range fields {
		names = append(names, k)
	}
	sort.Strings(names)
	return RowShape{}, fmt.Errorf("cannot tell which field of %s rows is the code (fields: %s); set catalogs.dvcqg_fields.%s: {code: …, name: …}",
		service, strings.Join(names, ", "), service)
}

// rowEntry makes an entry of one portal row. Every plain field, the
// code and name included, is also kept as an extra attribute under the
// portal's own name (so a mapping can ask for TENTTHC); nested lists are
// left out.
func rowEntry(row map[string]any, s RowShape) (Entry, error) {
	code, ok := anyText(row[s.Code])
	if !ok || strings.TrimSpace(code) == "" {
		return Entry{}, fmt.Errorf("no code in field %q", s.Code)
	}
	e := Entry{Code: code}
	for _, p := range []struct {
		key string
		dst *string
	}{{s.Name, &e.Name}, {s.Parent, &e.Parent}, {s.ValidFrom, &e.ValidFrom}, {s.ValidTo, &e.ValidTo}} {
		if p.key != "" {
			*p.dst, _ = anyText(row[p.key])
		}
	}
	for k, v := range row {
		if t, ok := anyText(v); ok && strings.TrimSpace(t) != "" && len(t) <= maxExtraValue {
			if e.Extra == nil {
				e.Extra = map[string]string{}
			}
			e.Extra[k] = t
		}
	}
	return e, nil
}

func uniqueSorted(in []string) []string {
	seen := map[string]bool{}
	out := make([]string, 0, len(in))
	for _, s := range in {
		s = strings.TrimSpace(s)
		if s != "" && !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	sort.Strings(out)
	return out
}

// Interface guards.
var (
	_ Fetcher   = (*DVCQGFetcher)(nil)
	_ Describer = (*DVCQGFetcher)(nil)
)
