package app

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/hcmc-lgsp/lgsp-connector/connectors"
	"github.com/hcmc-lgsp/lgsp-connector/internal/config"
	"github.com/hcmc-lgsp/lgsp-connector/internal/lgsp"
	"github.com/hcmc-lgsp/lgsp-connector/internal/outbox"
	"github.com/hcmc-lgsp/lgsp-connector/signing"
)

// CheckStatus is the verdict of one doctor check.
type CheckStatus string

// Verdicts.
const (
	OK   CheckStatus = "OK"
	Warn CheckStatus = "WARN"
	Fail CheckStatus = "FAIL"
)

// Check is one line of the doctor's report.
type Check struct {
	Name   string
	Status CheckStatus
	Detail string
	Hint   string // what to do, when not OK
}

// Doctor runs every installation check it can, even after failures, so
// the IT staff see everything that is wrong at once. cfg is already
// validated (a config error stops before the doctor runs).
func Doctor(ctx context.Context, cfg *config.Config, now time.Time) []Check {
	checks := []Check{{Name: "cấu hình / configuration", Status: OK, Detail: "hợp lệ / valid"}}

	// Legacy databases and APIs: connectivity, read permission, cursor
	// indexes. Each source is built and checked on its own, so one that
	// cannot even be built does not hide the others' checks; with several,
	// each check is named after its source (sources.khao_sat: …).
	all := cfg.AllSources()
	for _, ns := range all {
		f, ok := connectors.Lookup(ns.Type)
		if !ok {
			continue
		}
		var prefix string
		if len(all) > 1 {
			prefix = ns.Path + ": "
		}
		src, err := f.CreateSource(connectors.Settings{}, ns.Settings)
		if err != nil {
			checks = append(checks, Check{Name: prefix + "CSDL nghiệp vụ / legacy database", Status: Fail, Detail: config.SourceError(ns.Path, err).Error(),
				Hint: "kiểm tra " + ns.Path + ".* trong cấu hình / check " + ns.Path + ".*"})
			continue
		}
		for _, c := range sourceChecks(ctx, src, ns.Path) {
			c.Name = prefix + c.Name
			c.Detail, c.Hint = config.SourceMessage(ns.Path, c.Detail), config.SourceMessage(ns.Path, c.Hint)
			checks = append(checks, c)
		}
		_ = src.Shutdown(ctx)
	}

	// Signing key and certificate.
	if cfg.LGSP.Profile == "hcm-lgsp" {
		alg, _ := signing.ParseAlgorithm(cfg.Signing.Algorithm)
		s, err := signing.LoadSigner(signing.LoadOptions{CertFile: cfg.Signing.CertFile, KeyFile: cfg.Signing.KeyFile,
			PKCS12File: cfg.Signing.PKCS12File, Passphrase: cfg.Signing.Passphrase.Reveal(), Algorithm: alg})
		if err != nil {
			checks = append(checks, Check{Name: "chữ ký số / signing key", Status: Fail, Detail: err.Error(), Hint: "kiểm tra signing.cert_file/key_file hoặc pkcs12_file và mật khẩu / check signing files and passphrase"})
		} else {
			r := signing.Inspect(s, now)
			c := Check{Name: "chữ ký số / signing key", Status: OK,
				Detail: fmt.Sprintf("%s, hết hạn / expires %s (%d ngày / days); thuật toán / algorithm %s, khóa / key %s",
					r.Subject, r.NotAfter.Format("2006-01-02"), r.DaysLeft, r.Algorithm, r.KeyType)}
			switch {
			case !r.KeyMatches:
				c.Status, c.Hint = Fail, "khóa không khớp chứng thư / key does not match the certificate"
			case r.DaysLeft < 0 || now.Before(r.NotBefore):
				c.Status, c.Hint = Fail, "chứng thư hết hạn hoặc chưa hiệu lực / certificate expired or not yet valid: renew it"
			case r.DaysLeft < 60:
				c.Status, c.Hint = Warn, "gia hạn chứng thư trước khi hết hạn / renew the certificate before it expires"
			}
			checks = append(checks, c)
		}
	}

	// LGSP: token (which also proves TLS trust) and clock skew.
	client, err := lgsp.New(lgsp.Options{
		BaseURL: cfg.LGSP.BaseURL, TokenURL: cfg.LGSP.TokenURL,
		ClientID: cfg.LGSP.ClientID, ClientSecret: cfg.LGSP.ClientSecret.Reveal(), TokenAuth: cfg.LGSP.TokenAuth,
		CAFile: cfg.LGSP.CAFile, ClientCertFile: cfg.LGSP.ClientCert, ClientKeyFile: cfg.LGSP.ClientKey,
		InsecureSkipVerify: cfg.LGSP.InsecureSkipVerify, Timeout: 15 * time.Second, QuickRetries: -1, Headers: cfg.LGSP.Headers,
	})
	if err != nil {
		checks = append(checks, Check{Name: "LGSP TLS", Status: Fail, Detail: err.Error(), Hint: "kiểm tra lgsp.ca_file, client_cert, client_key"})
	} else {
		tctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		exp, err := client.Token(tctx)
		cancel()
		if err != nil {
			checks = append(checks, Check{Name: "LGSP token", Status: Fail, Detail: err.Error(),
				Hint: "kiểm tra lgsp.base_url, token_url, client_id, client_secret; lỗi chứng thư → lgsp.ca_file / check URL and credentials; certificate errors → lgsp.ca_file"})
		} else {
			checks = append(checks, Check{Name: "LGSP token", Status: OK, Detail: "nhận được token, hết hạn / token expires " + exp.Local().Format("15:04:05")})
		}
		if cfg.LGSP.InsecureSkipVerify {
			checks = append(checks, Check{Name: "LGSP TLS", Status: Warn, Detail: "insecure_skip_verify đang bật / is on", Hint: "chỉ dùng khi diễn tập; tắt trước khi vận hành / rehearsal only: turn it off"})
		}
		sctx, cancel := context.WithTimeout(ctx, 15*time.Second)
		st, err := client.ServerTime(sctx)
		cancel()
		if err != nil {
			checks = append(checks, Check{Name: "đồng hồ / clock skew", Status: Warn, Detail: "không đọc được Date của LGSP / no Date header: " + err.Error()})
		} else {
			skew := now.Sub(st)
			if skew < 0 {
				skew = -skew
			}
			c := Check{Name: "đồng hồ / clock skew", Status: OK, Detail: fmt.Sprintf("lệch / skew %s", skew.Round(time.Second))}
			switch {
			case skew > 5*time.Minute:
				c.Status, c.Hint = Fail, "đồng bộ giờ máy chủ (NTP) / synchronise the clock (NTP)"
			case skew > 30*time.Second:
				c.Status, c.Hint = Warn, "đồng bộ giờ máy chủ (NTP) / synchronise the clock (NTP)"
			}
			checks = append(checks, c)
		}
	}

	// Store.
	st, err := outbox.Open(ctx, outbox.Options{Path: cfg.Store.Path})
	if err != nil {
		checks = append(checks, Check{Name: "kho lưu / store", Status: Fail, Detail: err.Error(), Hint: "kiểm tra quyền ghi thư mục của store.path / check the directory of store.path is writable"})
	} else {
		if err := st.CheckWritable(ctx); err != nil {
			checks = append(checks, Check{Name: "kho lưu / store", Status: Fail, Detail: err.Error(), Hint: "kiểm tra dung lượng đĩa và quyền ghi / check disk space and permissions"})
		} else {
			c, _ := st.Counts(ctx)
			checks = append(checks, Check{Name: "kho lưu / store", Status: OK, Detail: fmt.Sprintf("%s ghi được / writable; chờ gửi / pending %d, thất bại / dead %d", cfg.Store.Path, c.Pending, c.Dead)})
			if o, text, err := OrphanSteps(ctx, st); err == nil && o.Packets > 0 {
				checks = append(checks, Check{Name: "bước xử lý chờ hồ sơ / steps waiting for their dossier", Status: Warn, Detail: text, Hint: OrphanHint})
			}
		}
		_ = st.Close()
	}
	return checks
}

// PrintChecks writes the report and says whether any check failed.
func PrintChecks(w io.Writer, checks []Check) (failed bool) {
	for _, c := range checks {
		detail := strings.ReplaceAll(strings.TrimSpace(c.Detail), "\n", "\n       ")
		fmt.Fprintf(w, "[%-4s] %s: %s\n", c.Status, c.Name, detail)
		if c.Hint != "" && c.Status != OK {
			fmt.Fprintf(w, "       → %s\n", c.Hint)
		}
		if c.Status == Fail {
			failed = true
		}
	}
	return failed
}

// sourceChecks asks the source configured at path to diagnose itself
// when it can, and otherwise tries to start it.
func sourceChecks(ctx context.Context, src connectors.Source, path string) []Check {
	ch, ok := src.(connectors.Checker)
	if !ok {
		if err := src.Start(ctx); err != nil {
			return []Check{{Name: "CSDL nghiệp vụ / legacy database", Status: Fail, Detail: err.Error(), Hint: "kiểm tra " + path + ".dsn / check " + path + ".dsn"}}
		}
		return []Check{{Name: "CSDL nghiệp vụ / legacy database", Status: OK, Detail: "kết nối được / connected"}}
	}
	var out []Check
	for _, r := range ch.Check(ctx) {
		out = append(out, Check{Name: r.Name, Status: CheckStatus(r.Status), Detail: r.Detail, Hint: r.Hint})
	}
	return out
}
