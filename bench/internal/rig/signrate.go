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
	// The same two for the opt-in ecdsa-sha256 (EC P-256).
	ECDSAP256    float64
	XMLDSigECDSA float64
}

// MeasureSignRates signs for about d each, on the calling goroutine: bare
// RSA-2048, whole Sign with rsa-sha256, bare ECDSA P-256, whole Sign with
// ecdsa-sha256.
func MeasureSignRates(d time.Duration) (SignRates, error) {
	var r SignRates
	digest := sha256.Sum256([]byte(samplePacket))
	doc := []byte(samplePacket)
	for _, alg := range []signing.Algorithm{signing.RSASHA256, signing.ECDSASHA256} {
		key, cert, err := signing.GenerateSelfSignedFor(alg, "bench sign rate", time.Hour, time.Now())
		if err != nil {
			return r, err
		}
		bare := func() error {
			_, err := key.Sign(rand.Reader, digest[:], crypto.SHA256)
			return err
		}
		if k, ok := key.(*rsa.PrivateKey); ok {
			bare = func() error {
				_, err := rsa.SignPKCS1v15(rand.Reader, k, crypto.SHA256, digest[:])
				return err
			}
		}
		bareRate, err := rate(d, bare)
		if err != nil {
			return r, err
		}
		signer, err := signing.NewSigner(key, cert, alg)
		if err != nil {
			return r, err
		}
		wholeRate, err := rate(d, func() error {
			if _, err := signer.Sign(doc); err != nil {
				return fmt.Errorf("sign sample packet (%s): %w", alg, err)
			}
			return nil
		})
		if err != nil {
			return r, err
		}
		if alg.IsECDSA() {
			r.ECDSAP256, r.XMLDSigECDSA = bareRate, wholeRate
		} else {
			r.RSA2048, r.XMLDSig = bareRate, wholeRate
		}
	}
	return r, nil
}

// rate runs op for about d and returns how many times per second it ran.
func rate(d time.Duration, op func() error) (float64, error) {
	n, start := 0, time.Now()
	for time.Since(start) < d {
		if err := op(); err != nil {
			return 0, err
		}
		n++
	}
	return float64(n) / time.Since(start).Seconds(), nil
}

// Best keeps the higher of each rate: on a shared machine the faster of
// two measurements is the closer to an undisturbed core.
func (r SignRates) Best(o SignRates) SignRates {
	return SignRates{RSA2048: max(r.RSA2048, o.RSA2048), XMLDSig: max(r.XMLDSig, o.XMLDSig),
		ECDSAP256: max(r.ECDSAP256, o.ECDSAP256), XMLDSigECDSA: max(r.XMLDSigECDSA, o.XMLDSigECDSA)}
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
