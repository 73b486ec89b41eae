package rig

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"fmt"
	"strings"
	"time"

	"github.com/hcmc-lgsp/lgsp-connector/signing"
)

// SignRates are signatures per second on one goroutine (one core).
type SignRates struct {
	RSA2048 float64 // bare RSA-2048 PKCS#1 v1.5 over a SHA-256 digest
	XMLDSig float64 // the connector's whole Sign of a ~2 KB packet (c14n, digest, RSA, splice)
}

// MeasureSignRates signs for about d each, on the calling goroutine.
func MeasureSignRates(d time.Duration) (SignRates, error) {
	key, cert, err := signing.GenerateSelfSigned("bench sign rate", time.Hour, time.Now())
	if err != nil {
		return SignRates{}, err
	}
	var r SignRates
	digest := sha256.Sum256([]byte(samplePacket))
	n, start := 0, time.Now()
	for time.Since(start) < d {
		if _, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, digest[:]); err != nil {
			return r, err
		}
		n++
	}
	r.RSA2048 = float64(n) / time.Since(start).Seconds()

	signer, err := signing.NewSigner(key, cert, signing.RSASHA256)
	if err != nil {
		return r, err
	}
	doc := []byte(samplePacket)
	n, start = 0, time.Now()
	for time.Since(start) < d {
		if _, err := signer.Sign(doc); err != nil {
			return r, fmt.Errorf("sign sample packet: %w", err)
		}
		n++
	}
	r.XMLDSig = float64(n) / time.Since(start).Seconds()
	return r, nil
}

// samplePacket is an unsigned hcm-lgsp HoSo packet of typical size.
var samplePacket = `<?xml version="1.0" encoding="UTF-8"?>` + strings.ReplaceAll(`<GoiTin>
<ThongTinGoiTin><MaGoiTin>0b4f8a2e-61c3-5d0e-8c55-0a8f3e1d7b20</MaGoiTin><LoaiGoiTin>HoSo</LoaiGoiTin><PhienBan>1.0</PhienBan>
<MaDonViGui>000.00.12.H29</MaDonViGui><MaDonViNhan>000.00.00.H29</MaDonViNhan><ThoiGianTao>20260901073000</ThoiGianTao></ThongTinGoiTin>
<NoiDung><HoSo><MaHoSo>000.00.12.H29-260901-0001</MaHoSo><MaTTHC>1.001193</MaTTHC><TenTTHC>Đăng ký khai sinh</TenTTHC>
<MaLinhVuc>H29-HT</MaLinhVuc><TenLinhVuc>Hộ tịch</TenLinhVuc><KenhThucHien>2</KenhThucHien><ChuHoSo>Nguyễn Văn An</ChuHoSo>
<LoaiDoiTuong>1</LoaiDoiTuong><TrichYeuHoSo>Đăng ký khai sinh cho ông/bà Nguyễn Văn An</TrichYeuHoSo>
<NgayTiepNhan>20260901073000</NgayTiepNhan><NgayHenTra>20260908073000</NgayHenTra><TrangThaiHoSo>4</TrangThaiHoSo>
<HinhThuc>0</HinhThuc><DonViXuLy>UBND phường Sài Gòn</DonViXuLy>
<TaiLieuNop><TepDinhKemId>1</TepDinhKemId><TenTepDinhKem>Tờ khai (bản 1).pdf</TenTepDinhKem><MaThanhPhanHoSo>TP01</MaThanhPhanHoSo>
<DuongDanTaiTepTin>https://motcua.example.gov.vn/files/1/1</DuongDanTaiTepTin><IsDeleted>False</IsDeleted></TaiLieuNop>
</HoSo></NoiDung></GoiTin>`, "\n", "")
