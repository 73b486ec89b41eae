package logging

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/hcmc-lgsp/lgsp-connector/packets"
)

// Personal data and secrets the log-scan test feeds in. None of them may
// appear in any output. (Names in free-text messages cannot be recognised;
// the rule is to log them under a personal key, which is what this does.)
var forbidden = []string{
	"Nguyễn Văn An", "Nguyễn", "Trần Thị Bích Ngọc", "Bích", "Ngọc", "Lê Gia Khánh", "Khánh",
	"079123456789", "123456789", "0912345678", "0912 345 678", "+84 987 654 321",
	"nguyen.van.an@example.vn", "nguyen.van.an", "tran.ngoc@hcm.gov.vn",
	"hunter2", "s3cr3t-client", "eyJhbGciOiJSUzI1NiJ9", "pkcs12-pass", "dbpass",
}

// Correlation aids that must survive masking.
var kept = []string{
	"000.00.12.H29-240131-0001", "123e4567-e89b-12d3-a456-426614174000", "000.00.12.H29",
	"Ng*** V*** A***", "09******78", "n***@example.vn", "07********89", "09** *** *78", "+84 *** *** *21",
}

func logEverything(l *slog.Logger) {
	ctx := context.Background()
	dossier := packets.Dossier{
		MaHoSo: "000.00.12.H29-240131-0001", ChuHoSo: "Nguyễn Văn An", SoGiayToChuHoSo: "079123456789",
		SoDienThoai: "0912345678", Email: "nguyen.van.an@example.vn", TrichYeuHoSo: "Đăng ký khai sinh",
	}
	raw := map[string]any{
		"so_ho_so": "000.00.12.H29-240131-0001", "ho_ten_nguoi_nop": []byte("Trần Thị Bích Ngọc"),
		"so_cmnd": "123456789", "dien_thoai": "+84 987 654 321", "email": "tran.ngoc@hcm.gov.vn",
	}
	for _, level := range []slog.Level{slog.LevelDebug, slog.LevelInfo, slog.LevelWarn, slog.LevelError} {
		l.Log(ctx, level, "hồ sơ: phone 0912345678, mail nguyen.van.an@example.vn, CCCD 079123456789",
			"MaHoSo", "000.00.12.H29-240131-0001",
			"MaGoiTin", "123e4567-e89b-12d3-a456-426614174000",
			"ChuHoSo", "Nguyễn Văn An",
			"chu_ho_so", "Trần Thị Bích Ngọc",
			"ho_ten", "Lê Gia Khánh",
			"NguoiXuLy", "Lê Gia Khánh",
			"SoDienThoai", "0912 345 678",
			"Email", "nguyen.van.an@example.vn",
			"SoGiayToChuHoSo", int64(79123456789),
			"password", "hunter2",
			"client_secret", "s3cr3t-client",
			"authorization", "Bearer eyJhbGciOiJSUzI1NiJ9",
			"passphrase", "pkcs12-pass",
			"dsn", "app:dbpass@tcp(10.0.0.5:3306)/iso",
			"note", "gọi 0912345678",
			"err", errors.New("row 7: dien_thoai \"0912345678\": too long"),
			"packet", dossier,
			"record", raw,
			slog.Group("ho_so", "ChuHoSo", "Nguyễn Văn An",
				slog.Group("lien_he", "SoDienThoai", "0912345678", "Email", "nguyen.van.an@example.vn")),
			slog.Group("ChuHoSo", "ten", "Lê Gia Khánh", "so", "123456789"),
		)
	}
	l.With("ChuHoSo", "Nguyễn Văn An", "dsn", "postgres://app:dbpass@db/iso").
		WithGroup("ChuHoSo").Warn("with attrs", "ten", "Trần Thị Bích Ngọc", "ghi_chu", "Lê Gia Khánh")
	l.WithGroup("request").With("Authorization", "Bearer eyJhbGciOiJSUzI1NiJ9").
		Error("lgsp rejected", "body", `{"client_secret":"s3cr3t-client"}`)
}

func TestLogScanNoPersonalData(t *testing.T) {
	for _, format := range []string{FormatText, FormatJSON} {
		t.Run(format, func(t *testing.T) {
			var buf bytes.Buffer
			logEverything(New(&buf, Options{Level: slog.LevelDebug, Format: format}))
			out := buf.String()
			if n := strings.Count(out, "\n"); n != 6 {
				t.Fatalf("expected 6 log lines (4 levels + 2 With), got %d:\n%s", n, out)
			}
			for _, f := range forbidden {
				if strings.Contains(out, f) {
					t.Errorf("%s output contains %q", format, f)
				}
			}
			for _, k := range kept {
				if !strings.Contains(out, k) {
					t.Errorf("%s output lost %q (needed to correlate)", format, k)
				}
			}
			for _, lvl := range []string{"DEBUG", "INFO", "WARN", "ERROR"} {
				if !strings.Contains(out, lvl) {
					t.Errorf("%s output has no %s line", format, lvl)
				}
			}
			if format == FormatJSON {
				for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
					var v map[string]any
					if err := json.Unmarshal([]byte(line), &v); err != nil {
						t.Errorf("masked JSON line is not JSON: %v\n%s", err, line)
					}
				}
			}
			if t.Failed() {
				t.Logf("output:\n%s", out)
			}
		})
	}
}

// The control: the same calls without masking do leak, so the scan above
// would notice a masking handler that silently stopped working.
func TestLogScanControlUnmasked(t *testing.T) {
	var buf bytes.Buffer
	logEverything(New(&buf, Options{Level: slog.LevelDebug, Unmasked: true}))
	out := buf.String()
	for _, f := range []string{"Nguyễn Văn An", "0912345678", "hunter2", "079123456789"} {
		if !strings.Contains(out, f) {
			t.Errorf("unmasked output should contain %q", f)
		}
	}
}

// Masking cannot be switched off by leaving a field out: Mask's zero value
// still masks; only Unmasked disables it.
func TestMaskFalseStillMasks(t *testing.T) {
	var buf bytes.Buffer
	New(&buf, Options{Mask: false}).Info("x", "ChuHoSo", "Nguyễn Văn An")
	if strings.Contains(buf.String(), "Nguyễn") {
		t.Errorf("Options{Mask: false} leaked: %s", buf.String())
	}
}

func TestGroupsAndWithKeepStructure(t *testing.T) {
	var buf bytes.Buffer
	l := New(&buf, Options{Format: FormatJSON})
	l.With("unit", "000.00.12.H29").WithGroup("ho_so").Info("nhận",
		"MaHoSo", "000.00.12.H29-240131-0001", "ChuHoSo", "Nguyễn Văn A",
		slog.Group("lien_he", "SoDienThoai", "0912345678", "count", 3))
	var got map[string]any
	if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	hoSo, _ := got["ho_so"].(map[string]any)
	lienHe, _ := hoSo["lien_he"].(map[string]any)
	switch {
	case got["unit"] != "000.00.12.H29":
		t.Errorf("unit = %v", got["unit"])
	case hoSo["MaHoSo"] != "000.00.12.H29-240131-0001":
		t.Errorf("ho_so.MaHoSo = %v", hoSo["MaHoSo"])
	case hoSo["ChuHoSo"] != "Ng*** V*** A":
		t.Errorf("ho_so.ChuHoSo = %v", hoSo["ChuHoSo"])
	case lienHe["SoDienThoai"] != "09******78":
		t.Errorf("ho_so.lien_he.SoDienThoai = %v", lienHe["SoDienThoai"])
	case lienHe["count"] != float64(3):
		t.Errorf("numbers under ordinary keys must stay numbers: %v", lienHe["count"])
	}
}

func TestLevelFiltering(t *testing.T) {
	var buf bytes.Buffer
	l := New(&buf, Options{Level: slog.LevelWarn})
	l.Info("hidden")
	l.Warn("shown")
	if out := buf.String(); strings.Contains(out, "hidden") || !strings.Contains(out, "shown") {
		t.Errorf("level not honoured:\n%s", out)
	}
}

// lazyOwner is resolved by slog through LogValue; masking must see the
// resolved value.
type lazyOwner struct{}

func (lazyOwner) LogValue() slog.Value {
	return slog.GroupValue(slog.String("ChuHoSo", "Nguyễn Văn An"), slog.Time("at", time.Unix(0, 0)))
}

func TestLogValuerResolvedBeforeMasking(t *testing.T) {
	var buf bytes.Buffer
	New(&buf, Options{}).Info("x", "owner", lazyOwner{})
	if strings.Contains(buf.String(), "Nguyễn") || !strings.Contains(buf.String(), "Ng***") {
		t.Errorf("LogValuer not masked: %s", buf.String())
	}
}

func BenchmarkHandler(b *testing.B) {
	for _, tc := range []struct {
		name string
		opts Options
	}{
		{"unmasked", Options{Unmasked: true}},
		{"masked", Options{}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			l := New(io.Discard, tc.opts)
			b.ReportAllocs()
			for b.Loop() {
				l.Info("đã gửi gói tin", "stream", "ho_so", "MaHoSo", "000.00.12.H29-240131-0001",
					"MaGoiTin", "123e4567-e89b-12d3-a456-426614174000", "status", 200,
					"latency", 35*time.Millisecond, "ChuHoSo", "Nguyễn Văn An")
			}
		})
	}
}
