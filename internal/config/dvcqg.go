package config

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/hcmc-lgsp/lgsp-connector/connectors/dvcqg"
)

// DVCQG is the `dvcqg:` section: the national public service portal
// (Cổng Dịch vụ công quốc gia) reached through LGSP with its own session
// login. It is off unless Enabled; the other keys are checked only then.
type DVCQG struct {
	Enabled bool `mapstructure:"enabled"`
	// AuthEndpoint, IntegrationEndpoint and ShareEndpoint are paths
	// relative to lgsp.base_url (or absolute URLs): the portal adapter's
	// login, its dispatch for pushes and lookups, and its dispatch for
	// shared catalogues.
	AuthEndpoint        string `mapstructure:"auth_endpoint"`
	IntegrationEndpoint string `mapstructure:"integration_endpoint"`
	ShareEndpoint       string `mapstructure:"share_endpoint"`
	// Username and Password are the portal account (not the LGSP client).
	Username string `mapstructure:"username"`
	Password Secret `mapstructure:"password"`
	// MaDonVi is the agency identifier in every envelope; default
	// unit.code.
	MaDonVi string `mapstructure:"madonvi"`
	// DSTCode, when set, is sent as the dstcode header (national X-Road
	// route, e.g. VN:GOV:000.00.00.G22:vpcpdvcprovider).
	DSTCode string `mapstructure:"dstcode"`
	// SessionErrorCodes and SessionErrorMessages recognise the portal's
	// "session invalid" answer (its real form is not documented): a
	// listed error_code, or a message containing a listed text.
	SessionErrorCodes    []string `mapstructure:"session_error_codes"`
	SessionErrorMessages []string `mapstructure:"session_error_messages"`
	// ProgressWait is how long a progress packet waits before it is tried
	// again while its dossier is not yet acknowledged by the portal.
	ProgressWait time.Duration `mapstructure:"progress_wait"`
	// ProgressPush is the daily schedule (cron, schedule.timezone) at
	// which the day's progress steps still waiting are sent again at once,
	// whatever their backoff: the portal gets the day's progress at least
	// once a day besides the near-real-time sync. Empty turns it off.
	ProgressPush string `mapstructure:"progress_push"`
}

func defaultDVCQG() DVCQG {
	return DVCQG{
		AuthEndpoint:         dvcqg.DefaultAuthEndpoint,
		IntegrationEndpoint:  dvcqg.DefaultIntegrationEndpoint,
		ShareEndpoint:        dvcqg.DefaultShareEndpoint,
		SessionErrorCodes:    append([]string(nil), dvcqg.DefaultSessionErrorCodes...),
		SessionErrorMessages: append([]string(nil), dvcqg.DefaultSessionErrorMessages...),
		ProgressWait:         dvcqg.DefaultProgressWait,
		ProgressPush:         "0 0 18 * * *",
	}
}

func (c *Config) validateDVCQG(k *checker) {
	d := &c.DVCQG
	if !d.Enabled {
		return
	}
	for _, e := range []struct{ key, value string }{
		{"dvcqg.auth_endpoint", d.AuthEndpoint},
		{"dvcqg.integration_endpoint", d.IntegrationEndpoint},
		{"dvcqg.share_endpoint", d.ShareEndpoint},
	} {
		switch {
		case e.value == "":
			k.fail(e.key, "bắt buộc", "required")
		case strings.HasPrefix(e.value, "/"):
		default:
			k.endpointURL(e.key, e.value, c.LGSP.InsecureSkipVerify)
		}
	}
	k.required("dvcqg.username", d.Username)
	if d.Password == "" {
		k.fail("dvcqg.password", "bắt buộc; nên đặt qua biến môi trường "+envVar("dvcqg.password"),
			"required; better set it in the environment variable "+envVar("dvcqg.password"))
	}
	if d.MaDonVi == "" {
		d.MaDonVi = c.Unit.Code
	} else if !agencyIDRE.MatchString(d.MaDonVi) {
		k.fail("dvcqg.madonvi",
			fmt.Sprintf("mã định danh đơn vị phải có dạng ddd.dd.dd.Xdd, ví dụ 000.00.12.H29; nhận được %q", d.MaDonVi),
			fmt.Sprintf("agency identifier must look like ddd.dd.dd.Xdd, e.g. 000.00.12.H29; got %q", d.MaDonVi))
	}
	if strings.ContainsAny(d.DSTCode, "\r\n") {
		k.fail("dvcqg.dstcode", "không được xuống dòng", "must not contain line breaks")
	}
	for i, code := range d.SessionErrorCodes {
		if _, err := strconv.ParseInt(strings.TrimSpace(code), 10, 64); err != nil {
			k.fail(fmt.Sprintf("dvcqg.session_error_codes[%d]", i), fmt.Sprintf("cần một số nguyên như -2, nhận được %q", code),
				fmt.Sprintf("must be a whole number such as -2, got %q", code))
		}
	}
	for i, m := range d.SessionErrorMessages {
		if strings.TrimSpace(m) == "" {
			k.fail(fmt.Sprintf("dvcqg.session_error_messages[%d]", i), "không được để trống (sẽ khớp mọi thông báo)",
				"must not be empty (it would match every message)")
		}
	}
	k.durationRange("dvcqg.progress_wait", d.ProgressWait, time.Second, time.Hour)
	if d.ProgressPush != "" {
		parser := cron.NewParser(cron.SecondOptional | cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)
		if _, err := parser.Parse(d.ProgressPush); err != nil {
			k.fail("dvcqg.progress_push", "lịch cron không hợp lệ: "+err.Error(), "invalid cron schedule: "+err.Error())
		}
	}
}
