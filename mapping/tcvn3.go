package mapping

// tcvn3Upper is the upper half (bytes 0x80–0xFF) of TCVN 5712:1993 as used
// by the ABC/VN3 fonts (.VnTime …); the lower half is ASCII.
//
// VN3 itself assigns 0xA1–0xFE (the base letters Ă Â Ê Ô Ơ Ư Đ and
// ă â ê ô ơ ư đ, the combining tone marks at 0xB0–0xB4 and the 60 toned
// lower-case vowels). The remaining positions (0x80–0x9F, 0xAF, 0xBA,
// 0xBF–0xC5, 0xCD, 0xD9–0xDB, 0xE0, 0xF0, 0xFF) carry the upper-case toned
// letters of the VN1 superset; VN3 leaves them empty, so decoding them as
// VN1 can only recover text, never change VN3 text. glibc's TCVN5712-1
// does the same; tcvn3_test.go checks every byte against it.
//
// Not taken from VN1: its upper-case letters in the C0 range (0x01, 0x02,
// 0x04–0x06, 0x11–0x17). In VN3 those bytes are ASCII control characters,
// and a control character in a legacy text column is corruption to report,
// not a letter to invent.
var tcvn3Upper = [128]rune{
	// 0x80
	'À', 'Ả', 'Ã', 'Á', 'Ạ', 'Ặ', 'Ậ', 'È',
	'Ẻ', 'Ẽ', 'É', 'Ẹ', 'Ệ', 'Ì', 'Ỉ', 'Ĩ',
	// 0x90
	'Í', 'Ị', 'Ò', 'Ỏ', 'Õ', 'Ó', 'Ọ', 'Ộ',
	'Ờ', 'Ở', 'Ỡ', 'Ớ', 'Ợ', 'Ù', 'Ủ', 'Ũ',
	// 0xA0: no-break space, base letters, Ằ
	'\u00A0', 'Ă', 'Â', 'Ê', 'Ô', 'Ơ', 'Ư', 'Đ',
	'ă', 'â', 'ê', 'ô', 'ơ', 'ư', 'đ', 'Ằ',
	// 0xB0: combining grave, hook above, tilde, acute, dot below; a-tones
	'\u0300', '\u0309', '\u0303', '\u0301', '\u0323', 'à', 'ả', 'ã',
	'á', 'ạ', 'Ẳ', 'ằ', 'ẳ', 'ẵ', 'ắ', 'Ẵ',
	// 0xC0
	'Ắ', 'Ầ', 'Ẩ', 'Ẫ', 'Ấ', 'Ề', 'ặ', 'ầ',
	'ẩ', 'ẫ', 'ấ', 'ậ', 'è', 'Ể', 'ẻ', 'ẽ',
	// 0xD0
	'é', 'ẹ', 'ề', 'ể', 'ễ', 'ế', 'ệ', 'ì',
	'ỉ', 'Ễ', 'Ế', 'Ồ', 'ĩ', 'í', 'ị', 'ò',
	// 0xE0
	'Ổ', 'ỏ', 'õ', 'ó', 'ọ', 'ồ', 'ổ', 'ỗ',
	'ố', 'ộ', 'ờ', 'ở', 'ỡ', 'ớ', 'ợ', 'ù',
	// 0xF0
	'Ỗ', 'ủ', 'ũ', 'ú', 'ụ', 'ừ', 'ử', 'ữ',
	'ứ', 'ự', 'ỳ', 'ỷ', 'ỹ', 'ý', 'ỵ', 'Ố',
}
