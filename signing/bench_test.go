package signing

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"fmt"
	"strings"
	"testing"
)

// dossierDoc builds a ~3 KB hcm-lgsp dossier packet with ten processing steps.
func dossierDoc() string {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?><GoiTin><ThongTinGoiTin>` +
		`<MaGoiTin>3f0c1e52-8a47-4d0e-9b1a-2f6f1f0c9a11</MaGoiTin><LoaiGoiTin>HoSo</LoaiGoiTin><PhienBan>1.0</PhienBan>` +
		`<MaDonViGui>000.00.06.H29</MaDonViGui><MaDonViNhan>000.00.00.H29</MaDonViNhan><ThoiGianTao>20260315090000</ThoiGianTao>` +
		`</ThongTinGoiTin><NoiDung><HoSo><MaHoSo>000.00.06.H29-260315-0001</MaHoSo><MaTTHC>1.001612</MaTTHC>` +
		`<TenThuTuc>Cấp giấy chứng nhận đăng ký hộ kinh doanh</TenThuTuc><MaLinhVuc>G02</MaLinhVuc>` +
		`<ChuHoSo>Nguyễn Thị Ánh Tuyết</ChuHoSo><LoaiDoiTuong>1</LoaiDoiTuong><DiaChi>Số 12 Lê Lợi, Phường Bến Thành, Thành phố Hồ Chí Minh</DiaChi>` +
		`<KenhThucHien>2</KenhThucHien><TrangThaiHoSo>4</TrangThaiHoSo><NgayTiepNhan>20260310083000</NgayTiepNhan>` +
		`<NgayHenTra>20260320170000</NgayHenTra><QuaTrinhXuLy>`)
	for i := 1; i <= 10; i++ {
		fmt.Fprintf(&b, `<BuocXuLy><STT>%d</STT><MaCanBo>CB%04d</MaCanBo><TenCanBo>Trần Văn Bình %d</TenCanBo>`+
			`<NoiDungXuLy>Chuyển phòng chuyên môn thẩm định hồ sơ bước %d</NoiDungXuLy><ThoiGian>202603%02d090000</ThoiGian></BuocXuLy>`, i, i, i, i, 10+i%5)
	}
	b.WriteString(`</QuaTrinhXuLy></HoSo></NoiDung></GoiTin>`)
	return b.String()
}

func TestDossierDocSize(t *testing.T) {
	if n := len(dossierDoc()); n < 2800 || n > 3600 {
		t.Fatalf("benchmark document is %d bytes, want about 3 KB", n)
	}
}

// BenchmarkSign measures the whole Sign of a packet as the encoders write
// it (the fast path: digest, RSA, splice). BenchmarkSignGeneral is the same
// document through the general path: parse, checks, canonicalise a copy,
// digest, RSA, splice.
func BenchmarkSign(b *testing.B) {
	benchmarkSign(b, RSASHA256)
}

// BenchmarkSignECDSAP256 is BenchmarkSign with the opt-in ecdsa-sha256
// (the DER → r||s conversion included).
func BenchmarkSignECDSAP256(b *testing.B) {
	benchmarkSign(b, ECDSASHA256)
}

// BenchmarkSignECDSAP384 is BenchmarkSign with ecdsa-sha384.
func BenchmarkSignECDSAP384(b *testing.B) {
	benchmarkSign(b, ECDSASHA384)
}

func BenchmarkSignGeneral(b *testing.B) {
	benchmarkSignWith(b, RSASHA256, (*Signer).signGeneral)
}

// BenchmarkSignGeneralECDSAP256 is BenchmarkSignGeneral with ecdsa-sha256.
func BenchmarkSignGeneralECDSAP256(b *testing.B) {
	benchmarkSignWith(b, ECDSASHA256, (*Signer).signGeneral)
}

func benchmarkSign(b *testing.B, alg Algorithm) {
	benchmarkSignWith(b, alg, (*Signer).Sign)
}

func benchmarkSignWith(b *testing.B, alg Algorithm, sign func(*Signer, []byte) ([]byte, error)) {
	fx := mustFixtures(b)
	s := mustSigner(b, fx.senderFor(alg), alg)
	doc := []byte(dossierDoc())
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := sign(s, doc); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRSASign2048 is the floor: the RSA private-key operation alone.
func BenchmarkRSASign2048(b *testing.B) {
	fx := mustFixtures(b)
	digest := sha256.Sum256([]byte(dossierDoc()))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := rsa.SignPKCS1v15(rand.Reader, fx.sender.rsaKey(), crypto.SHA256, digest[:]); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkECDSASignP256 is the ECDSA floor: the P-256 signature alone.
func BenchmarkECDSASignP256(b *testing.B) {
	fx := mustFixtures(b)
	key := fx.ecSender.key.(*ecdsa.PrivateKey)
	digest := sha256.Sum256([]byte(dossierDoc()))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ecdsa.SignASN1(rand.Reader, key, digest[:]); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerify is the receiver's cost per packet.
func BenchmarkVerify(b *testing.B) {
	benchmarkVerify(b, RSASHA256)
}

// BenchmarkVerifyECDSAP256 is the receiver's cost per ecdsa-sha256
// packet: ECDSA verification costs more than RSA's, signing less.
func BenchmarkVerifyECDSAP256(b *testing.B) {
	benchmarkVerify(b, ECDSASHA256)
}

func benchmarkVerify(b *testing.B, alg Algorithm) {
	fx := mustFixtures(b)
	kp := fx.senderFor(alg)
	signed := mustSign(b, mustSigner(b, kp, alg), dossierDoc())
	v := mustVerifier(b, VerifierOptions{Allowed: []Algorithm{alg}}, kp.cert)
	b.SetBytes(int64(len(signed)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Verify(signed); err != nil {
			b.Fatal(err)
		}
	}
}
