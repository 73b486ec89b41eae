package dvcqg

import (
	"strings"
	"testing"
)

func TestParseReply(t *testing.T) {
	tests := []struct {
		name       string
		body       string
		want       Reply // Result compared as text
		wantOK     bool
		wantErr    string
		wantResult string
	}{
		{name: "numeric zero", body: `{"error_code":0,"message":"thành công"}`, want: Reply{Code: "0", Message: "thành công"}, wantOK: true},
		{name: "string zero", body: `{"error_code":"0"}`, want: Reply{Code: "0"}, wantOK: true},
		{name: "padded string", body: ` {"error_code":" -3 ","message":"Hồ sơ đã tồn tại"}`, want: Reply{Code: "-3", Message: "Hồ sơ đã tồn tại"}},
		{name: "float form", body: `{"error_code":3.0}`, want: Reply{Code: "3"}},
		{name: "login", body: `{"error_code":0,"session":"abc","result":"ok"}`, want: Reply{Code: "0", Session: "abc"}, wantOK: true, wantResult: `"ok"`},
		{name: "rows", body: `{"error_code":0,"result":[{"MATTHC":"1.001193"}]}`, want: Reply{Code: "0"}, wantOK: true, wantResult: `[{"MATTHC":"1.001193"}]`},
		{name: "null result", body: `{"error_code":0,"result":null}`, want: Reply{Code: "0"}, wantOK: true},
		{name: "byte order mark", body: "\xef\xbb\xbf" + `{"error_code":0}`, want: Reply{Code: "0"}, wantOK: true},
		{name: "numeric message", body: `{"error_code":1,"message":42}`, want: Reply{Code: "1", Message: "42"}},
		{
			name:       "province proxy wrapping the answer in message",
			body:       `{"message":"{\"error_code\":0,\"result\":[{\"MALINHVUC\":\"H29-HT\"}]}"}`,
			want:       Reply{Code: "0"},
			wantOK:     true,
			wantResult: `[{"MALINHVUC":"H29-HT"}]`,
		},
		{
			name: "wrapped text that is not an envelope stays a message",
			body: `{"error_code":-1,"message":"{not json"}`,
			want: Reply{Code: "-1", Message: "{not json"},
		},
		{name: "empty", body: ``, wantErr: "empty body"},
		{name: "HTML error page", body: `<html>502 Bad Gateway</html>`, wantErr: "<html>502"},
		{name: "array", body: `[{"error_code":0}]`, wantErr: "not a JSON object"},
		{name: "no error_code", body: `{"message":"ok"}`, wantErr: "no error_code"},
		{name: "null error_code", body: `{"error_code":null}`, wantErr: "no error_code"},
		{name: "text error_code", body: `{"error_code":"OK"}`, wantErr: "not a whole number"},
		{name: "fractional error_code", body: `{"error_code":1.5}`, wantErr: "not a whole number"},
		{name: "truncated", body: `{"error_code":0,"result":[{"MATTHC":`, wantErr: "not valid JSON"},
		{name: "session not text", body: `{"error_code":0,"session":{"a":1}}`, want: Reply{Code: "0", Session: `{"a":1}`}, wantOK: true},
		{name: "too deep", body: `{"error_code":0,"result":` + strings.Repeat("[", 40) + strings.Repeat("]", 40) + `}`, wantErr: "nested"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseReply([]byte(tt.body))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Code != tt.want.Code || got.Message != tt.want.Message || got.Session != tt.want.Session || string(got.Result) != tt.wantResult {
				t.Errorf("got %+v (result %s), want %+v (result %s)", got, got.Result, tt.want, tt.wantResult)
			}
			if got.OK() != tt.wantOK {
				t.Errorf("OK() = %t, want %t", got.OK(), tt.wantOK)
			}
		})
	}
}

func TestParseReplyDoesNotQuoteJSON(t *testing.T) {
	// A broken answer with rows may hold personal data: the error names
	// its size, not its content.
	_, err := ParseReply([]byte(`{"error_code":0,"result":[{"ChuHoSo":"Nguyễn Văn A"`))
	if err == nil || strings.Contains(err.Error(), "Nguyễn") {
		t.Fatalf("err = %v", err)
	}
}

func TestAnswerRecognition(t *testing.T) {
	c := &Client{cfg: Config{}.withDefaults()}
	tests := []struct {
		reply          Reply
		session, exist bool
	}{
		{Reply{Code: "-2", Message: "Phiên làm việc không hợp lệ"}, true, false},
		{Reply{Code: "-1", Message: "PHIÊN LÀM VIỆC đã hết hạn"}, true, false},
		{Reply{Code: "-1", Message: "Session expired"}, true, false},
		{Reply{Code: "-1", Message: "Phie\u0302n la\u0300m vie\u0323\u0302c hết hạn"}, true, false}, // decomposed accents
		{Reply{Code: "3", Message: "Hồ sơ đã tồn tại"}, false, true},
		{Reply{Code: "-3", Message: "HO SO DA TON TAI"}, false, true},
		{Reply{Code: "3", Message: "Lỗi khác"}, false, false},
		{Reply{Code: "-1", Message: "Hồ sơ đã tồn tại"}, false, false},
		{Reply{Code: "-1", Message: "MaTTHC không hợp lệ"}, false, false},
	}
	for _, tt := range tests {
		if got := c.sessionInvalid(tt.reply); got != tt.session {
			t.Errorf("sessionInvalid(%+v) = %t, want %t", tt.reply, got, tt.session)
		}
		if got := alreadyExists(tt.reply); got != tt.exist {
			t.Errorf("alreadyExists(%+v) = %t, want %t", tt.reply, got, tt.exist)
		}
	}
}

func TestRowsOf(t *testing.T) {
	tests := []struct {
		result  string
		rows    int
		wantErr bool
	}{
		{``, 0, false},
		{`null`, 0, false},
		{`[]`, 0, false},
		{`[{"A":1},{"A":"01"}]`, 2, false},
		{`{"data":[{"MADVC":"x"}]}`, 1, false},
		{`{"other":1}`, 0, true},
		{`[1]`, 0, true},
		{`"text"`, 0, true},
	}
	for _, tt := range tests {
		rows, err := rowsOf([]byte(tt.result))
		if (err != nil) != tt.wantErr || len(rows) != tt.rows {
			t.Errorf("rowsOf(%s) = %d rows, %v", tt.result, len(rows), err)
		}
	}
	rows, _ := rowsOf([]byte(`[{"CODE":"01","N":1.50,"B":true}]`))
	if text(rows[0], "CODE") != "01" || text(rows[0], "N") != "1.50" || text(rows[0], "B") != "true" || text(rows[0], "X") != "" {
		t.Errorf("values lost their text: %v", rows[0])
	}
}

// FuzzParseReply: any body either parses into a reply whose code is a
// canonical integer, or fails with an error; it never panics.
func FuzzParseReply(f *testing.F) {
	for _, s := range []string{
		`{"error_code":0,"message":"thành công","result":[{"MATTHC":"1.001193","TENTTHC":"Đăng ký khai sinh"}]}`,
		`{"error_code":"-3","message":"Hồ sơ đã tồn tại"}`,
		`{"error_code":0,"session":"abc"}`,
		`{"message":"{\"error_code\":0,\"result\":[]}"}`,
		`{"error_code":1e3}`,
		`{"error_code":"0x1"}`,
		`{"error_code":-0}`,
		`<html></html>`,
		"\xef\xbb\xbf{}",
		`{"error_code":0,"result":{"data":[{}]}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		r, err := ParseReply(body)
		if err != nil {
			return
		}
		if r.Code == "" || strings.TrimSpace(r.Code) != r.Code {
			t.Fatalf("code %q is not canonical", r.Code)
		}
		if !sameCode(r.Code, r.Code) {
			t.Fatalf("code %q is not an integer", r.Code)
		}
		_, _ = rowsOf(r.Result)
	})
}

// FuzzParseStored: a stored envelope either parses into items that are
// JSON objects, one MaHoSo per item, or fails; it never panics.
func FuzzParseStored(f *testing.F) {
	for _, s := range []string{
		`{"madonvi":"000.00.06.H29","service":"DongBoHoSoMC","isUpdating":"False","data":[{"MaHoSo":"a"}]}`,
		`{"madonvi":"x","service":"CapNhatTienDoHoSoMC","data":[{"MaHoSo":"a"},{"MaHoSo":"b"}]}`,
		`{"session":"s","service":"X","data":[{}]}`,
		`{"service":"X","data":[1]}`,
		`{"service":"X","isUpdating":"maybe","data":[{}]}`,
		`{} {}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		env, err := parseStored(body)
		if err != nil {
			return
		}
		if env.Service == "" || len(env.Items) == 0 || len(env.Items) != len(env.MaHoSo) {
			t.Fatalf("accepted an envelope without service or items: %+v", env)
		}
		for _, it := range env.Items {
			if len(it) == 0 || it[0] != '{' {
				t.Fatalf("item %q is not an object", it)
			}
		}
	})
}
