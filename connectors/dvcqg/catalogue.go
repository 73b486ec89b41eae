package dvcqg

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

// Catalogue services (SPEC-dvcqg.md §2, §7).
const (
	ServiceLayDanhMucCoQuan  = "LayDanhMucCoQuan"
	ServiceLayDanhMucLinhVuc = "LayDanhMucLinhVuc"
	ServiceLayDanhSachTTHC   = "LayDanhSachTTHC"
	ServiceLayThuTuc         = "LayThuTuc"
)

// CommonCatalogues are the national common catalogues known by name
// (SPEC-dvcqg.md §2; their row shapes were not seen in public code, so
// Catalogue returns rows as they come).
var CommonCatalogues = []string{
	"LayDanhMucGioiTinh", "LayDanhMucTinhThanh", "LayDanhMucQuanHuyen", "LayDanhMucPhuongXa",
	"LayDanhMucQuocGia", "LayDanhMucDanToc", "LayDanhMucTonGiao", "LayDanhMucTinhTrangHonNhan",
	"LayDanhMucDoiTuong", "LayDanhMucCapThucHien", "LayDanhMucCanCuPhapLy", "LayDanhMucLePhi",
}

// Catalogue pulls a catalogue through the share endpoint: service is a
// "Lay…" service name, params extra envelope keys (sent in key order).
// Rows are JSON objects decoded with numbers as json.Number, so codes
// such as "01" and numbers such as 1.5 keep their exact text. LayThuTuc,
// which the portal serves on the integration endpoint, has its own
// method.
func (c *Client) Catalogue(ctx context.Context, service string, params map[string]string) ([]map[string]any, error) {
	return c.catalogue(ctx, c.cfg.ShareEndpoint, service, params)
}

func (c *Client) catalogue(ctx context.Context, endpoint, service string, params map[string]string) ([]map[string]any, error) {
	if !strings.HasPrefix(service, "Lay") || strings.ContainsAny(service, " \"\\/") {
		return nil, &Error{Service: service, Class: lgsp.ClassPermanent,
			Err: fmt.Errorf("service %q is not a catalogue (want a Lay… service such as %s)", service, ServiceLayDanhMucCoQuan)}
	}
	keys := make([]string, 0, len(params))
	for k := range params {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	q := portalCall{endpoint: endpoint, service: service, messageID: c.newID(), madonvi: c.cfg.MaDonVi}
	for _, k := range keys {
		switch k {
		case "session", "madonvi", "service", "data", "isUpdating":
			return nil, &Error{Service: service, Class: lgsp.ClassPermanent, Err: fmt.Errorf("parameter %q is part of the envelope", k)}
		}
		q.params = append(q.params, [2]string{k, params[k]})
	}
	reply, res := c.call(ctx, q)
	if res.Class != lgsp.ClassDelivered {
		return nil, res.Err
	}
	rows, err := rowsOf(reply.Result)
	if err != nil {
		return nil, &Error{Service: service, Class: lgsp.ClassTransient, Err: fmt.Errorf("%w: %w", ErrBadAnswer, err)}
	}
	return rows, nil
}

// rowsOf reads a result: an array of objects, or an object whose "data"
// is one (LayDVC's shape); null or absent is no rows.
func rowsOf(result json.RawMessage) ([]map[string]any, error) {
	t := bytes.TrimSpace(result)
	if len(t) == 0 || string(t) == "null" {
		return nil, nil
	}
	if t[0] == '{' {
		var wrapped struct {
			Data json.RawMessage `json:"data"`
		}
		if err := json.Unmarshal(t, &wrapped); err != nil || len(bytes.TrimSpace(wrapped.Data)) == 0 {
			return nil, errors.New("result is an object without a data array")
		}
		t = bytes.TrimSpace(wrapped.Data)
	}
	if len(t) == 0 || t[0] != '[' {
		return nil, errors.New("result is not an array of rows")
	}
	dec := json.NewDecoder(bytes.NewReader(t))
	dec.UseNumber()
	var items []json.RawMessage
	if err := dec.Decode(&items); err != nil {
		return nil, fmt.Errorf("result: %w", err)
	}
	rows := make([]map[string]any, 0, len(items))
	for i, item := range items {
		item = bytes.TrimSpace(item)
		if len(item) == 0 || item[0] != '{' {
			return nil, fmt.Errorf("result[%d] is not an object", i)
		}
		d := json.NewDecoder(bytes.NewReader(item))
		d.UseNumber()
		var row map[string]any
		if err := d.Decode(&row); err != nil {
			return nil, fmt.Errorf("result[%d]: %w", i, err)
		}
		rows = append(rows, row)
	}
	return rows, nil
}

// CoQuan is an agency of LayDanhMucCoQuan.
type CoQuan struct {
	MaDonVi  string // MADONVI, e.g. 000.00.12.H29
	TenDonVi string // TENDONVI
	CapDonVi string // CAPDONVI, the level as text (its codes are an open question)
}

// LinhVuc is a field (sector) of LayDanhMucLinhVuc.
type LinhVuc struct {
	MaLinhVuc  string // MALINHVUC
	TenLinhVuc string // TENLINHVUC
	MaNganh    string // MANGANH: the ministry (or province) the field belongs to
}

// TTHC is a procedure of LayDanhSachTTHC.
type TTHC struct {
	MaTTHC  string // MATTHC, e.g. 1.001193
	TenTTHC string // TENTTHC
}

// LayDanhMucCoQuan pulls the agencies.
func (c *Client) LayDanhMucCoQuan(ctx context.Context) ([]CoQuan, error) {
	rows, err := c.Catalogue(ctx, ServiceLayDanhMucCoQuan, nil)
	if err != nil {
		return nil, err
	}
	out := make([]CoQuan, len(rows))
	for i, r := range rows {
		out[i] = CoQuan{MaDonVi: text(r, "MADONVI"), TenDonVi: text(r, "TENDONVI"), CapDonVi: text(r, "CAPDONVI")}
	}
	return out, nil
}

// LayDanhMucLinhVuc pulls the fields. The portal lists every ministry's
// fields; filter on MaNganh to keep one's own.
func (c *Client) LayDanhMucLinhVuc(ctx context.Context) ([]LinhVuc, error) {
	rows, err := c.Catalogue(ctx, ServiceLayDanhMucLinhVuc, nil)
	if err != nil {
		return nil, err
	}
	out := make([]LinhVuc, len(rows))
	for i, r := range rows {
		out[i] = LinhVuc{MaLinhVuc: text(r, "MALINHVUC"), TenLinhVuc: text(r, "TENLINHVUC"), MaNganh: text(r, "MANGANH")}
	}
	return out, nil
}

// LayDanhSachTTHC pulls the list of procedures.
func (c *Client) LayDanhSachTTHC(ctx context.Context) ([]TTHC, error) {
	rows, err := c.Catalogue(ctx, ServiceLayDanhSachTTHC, nil)
	if err != nil {
		return nil, err
	}
	out := make([]TTHC, len(rows))
	for i, r := range rows {
		out[i] = TTHC{MaTTHC: text(r, "MATTHC"), TenTTHC: text(r, "TENTTHC")}
	}
	return out, nil
}

// ThuTuc is the full record of one procedure (LayThuTuc, SPEC-dvcqg.md
// §7). Numbers keep their text. Raw holds the row as received, for
// fields this type does not name.
type ThuTuc struct {
	ID, MaTTHC, TenTTHC, LoaiTTHC string
	// TrangThai 1 means published; anything else is not public.
	TrangThai            string
	MaCoQuanCongBo       string
	YeuCau               string // conditions
	MoTaDoiTuongThucHien string
	IDQuyetDinhCongBo    string
	LinhVuc              []LinhVuc // LINHVUCTHUCHIEN (MaNganh empty)
	TrinhTuThucHien      []TrinhTu
	CachThucThucHien     []CachThuc
	DoiTuongThucHien     []string // TENDOITUONG of each
	KetQuaThucHien       []KetQua
	CanCuPhapLy          []VanBan
	CoQuanThucHien       []CoQuan // CapDonVi empty
	ThanhPhanHoSo        []ThanhPhan
	CapThucHien          []CapThucHien
	Raw                  map[string]any
}

// Published reports whether the procedure is public (TRANGTHAI 1).
func (t ThuTuc) Published() bool { return strings.TrimSpace(t.TrangThai) == "1" }

// TrinhTu is one case of the procedure's steps.
type TrinhTu struct {
	TruongHop string
	Buoc      []string // TENTRINHTU of each step
}

// CachThuc is one submission channel (KENH: 1 in person, 2 online, 3 post).
type CachThuc struct {
	Kenh     string
	ThoiGian []ThoiGian
}

// ThoiGian is a processing time and its fees.
type ThoiGian struct {
	ThoiGianGiaiQuyet string // a number, as text
	DonViTinh         string // unit, e.g. "Ngày làm việc"
	MoTa              string
	PhiLePhi          []PhiLePhi
}

// PhiLePhi is one fee.
type PhiLePhi struct {
	MaPhiLePhi, SoTien, DonVi, MoTa string
}

// KetQua is one result document of the procedure.
type KetQua struct {
	MaKetQua, TenKetQua string
}

// VanBan is one legal basis.
type VanBan struct {
	SoVanBan, TenVanBan string
}

// ThanhPhan is the component list of one case.
type ThanhPhan struct {
	TruongHop string
	GiayTo    []GiayTo
}

// GiayTo is one required document.
type GiayTo struct {
	MaGiayTo, TenGiayTo, TenMauDon, URL, SoBanChinh, SoBanSao string
}

// CapThucHien is one execution level (CAPTHUCHIEN 0 ministry, 1 province,
// 2 district, 3 commune).
type CapThucHien struct {
	CapThucHien, MoTaCoQuanThucHien, DiaChiTiepNhan string
}

// LayThuTuc pulls one procedure's record; found is false when the portal
// has no such procedure. It is an integration-endpoint service.
func (c *Client) LayThuTuc(ctx context.Context, maTTHC string) (t ThuTuc, found bool, err error) {
	if strings.TrimSpace(maTTHC) == "" {
		return ThuTuc{}, false, &Error{Service: ServiceLayThuTuc, Class: lgsp.ClassPermanent, Err: errors.New("maTTHC is empty")}
	}
	rows, err := c.catalogue(ctx, c.cfg.IntegrationEndpoint, ServiceLayThuTuc, map[string]string{"maTTHC": maTTHC})
	if err != nil || len(rows) == 0 {
		return ThuTuc{}, false, err
	}
	return thuTucOf(rows[0]), true, nil
}

func thuTucOf(r map[string]any) ThuTuc {
	t := ThuTuc{
		ID: text(r, "ID"), MaTTHC: text(r, "MATTHC"), TenTTHC: text(r, "TENTTHC"), LoaiTTHC: text(r, "LOAITTHC"),
		TrangThai: text(r, "TRANGTHAI"), MaCoQuanCongBo: text(r, "MACOQUANCONGBO"), YeuCau: text(r, "YEUCAU"),
		MoTaDoiTuongThucHien: text(r, "MOTADOITUONGTHUCHIEN"), IDQuyetDinhCongBo: text(r, "IDQUYETDINHCONGBO"),
		Raw: r,
	}
	for _, x := range list(r, "LINHVUCTHUCHIEN") {
		t.LinhVuc = append(t.LinhVuc, LinhVuc{MaLinhVuc: text(x, "MALINHVUC"), TenLinhVuc: text(x, "TENLINHVUC")})
	}
	for _, x := range list(r, "TRINHTUTHUCHIEN") {
		tt := TrinhTu{TruongHop: text(x, "TRUONGHOP")}
		for _, b := range list(x, "TRINHTU") {
			tt.Buoc = append(tt.Buoc, text(b, "TENTRINHTU"))
		}
		t.TrinhTuThucHien = append(t.TrinhTuThucHien, tt)
	}
	for _, x := range list(r, "CACHTHUCTHUCHIEN") {
		ct := CachThuc{Kenh: text(x, "KENH")}
		for _, g := range list(x, "THOIGIAN") {
			tg := ThoiGian{ThoiGianGiaiQuyet: text(g, "THOIGIANGIAIQUYET"), DonViTinh: text(g, "DONVITINH"), MoTa: text(g, "MOTA")}
			for _, p := range list(g, "PHILEPHI") {
				tg.PhiLePhi = append(tg.PhiLePhi, PhiLePhi{MaPhiLePhi: text(p, "MAPHILEPHI"), SoTien: text(p, "SOTIEN"), DonVi: text(p, "DONVI"), MoTa: text(p, "MOTA")})
			}
			ct.ThoiGian = append(ct.ThoiGian, tg)
		}
		t.CachThucThucHien = append(t.CachThucThucHien, ct)
	}
	for _, x := range list(r, "DOITUONGTHUCHIEN") {
		t.DoiTuongThucHien = append(t.DoiTuongThucHien, text(x, "TENDOITUONG"))
	}
	for _, x := range list(r, "KETQUATHUCHIEN") {
		t.KetQuaThucHien = append(t.KetQuaThucHien, KetQua{MaKetQua: text(x, "MAKETQUA"), TenKetQua: text(x, "TENKETQUA")})
	}
	for _, x := range list(r, "CANCUPHAPLY") {
		t.CanCuPhapLy = append(t.CanCuPhapLy, VanBan{SoVanBan: text(x, "SOVANBAN"), TenVanBan: text(x, "TENVANBAN")})
	}
	for _, x := range list(r, "COQUANTHUCHIEN") {
		t.CoQuanThucHien = append(t.CoQuanThucHien, CoQuan{MaDonVi: text(x, "MADONVI"), TenDonVi: text(x, "TENDONVI")})
	}
	for _, x := range list(r, "THANHPHANHOSO") {
		tp := ThanhPhan{TruongHop: text(x, "TRUONGHOP")}
		for _, g := range list(x, "GIAYTO") {
			url := text(g, "URL")
			if url == "" {
				url = text(g, "Url")
			}
			tp.GiayTo = append(tp.GiayTo, GiayTo{MaGiayTo: text(g, "MAGIAYTO"), TenGiayTo: text(g, "TENGIAYTO"),
				TenMauDon: text(g, "TENMAUDON"), URL: url, SoBanChinh: text(g, "SOBANCHINH"), SoBanSao: text(g, "SOBANSAO")})
		}
		t.ThanhPhanHoSo = append(t.ThanhPhanHoSo, tp)
	}
	for _, x := range list(r, "CAPTHUCHIEN") {
		t.CapThucHien = append(t.CapThucHien, CapThucHien{CapThucHien: text(x, "CAPTHUCHIEN"),
			MoTaCoQuanThucHien: text(x, "MOTACOQUANTHUCHIEN"), DiaChiTiepNhan: text(x, "DIACHITIEPNHAN")})
	}
	return t
}

// text returns row[key] as text: strings as they are, numbers in their
// JSON form, booleans as true/false, anything else (absent, null, nested)
// as "".
func text(row map[string]any, key string) string {
	switch v := row[key].(type) {
	case string:
		return v
	case json.Number:
		return v.String()
	case bool:
		return strconv.FormatBool(v)
	}
	return ""
}

// list returns row[key] as a list of objects, skipping anything else.
func list(row map[string]any, key string) []map[string]any {
	items, _ := row[key].([]any)
	out := make([]map[string]any, 0, len(items))
	for _, it := range items {
		if m, ok := it.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}
