package config

import (
	"fmt"
	"net"
	"slices"
	"strconv"
	"time"

	"github.com/hcmc-lgsp/lgsp-connector/internal/inbound"
)

// Inbound is the `inbound:` section: the HTTP API the national portal
// calls back through LGSP (dossier lookup by MaHoSo, attachment download
// by signed link). It is off unless Enabled; the other keys are checked
// only then.
type Inbound struct {
	Enabled bool `mapstructure:"enabled"`
	// Listen is host:port. Anything but localhost needs TLS.
	Listen string `mapstructure:"listen"`
	// TLSCert and TLSKey are the server's certificate and key (PEM).
	TLSCert string `mapstructure:"tls_cert"`
	TLSKey  string `mapstructure:"tls_key"`
	// ClientCA (PEM) requires a client certificate it issued (mTLS).
	ClientCA string `mapstructure:"client_ca"`
	// BearerTokens are accepted in "Authorization: Bearer …". With
	// ClientCA as well, a call needs both.
	BearerTokens []Secret `mapstructure:"bearer_tokens"`
	// AllowIPs lists the addresses (CIDR or single IP) calls may come
	// from, normally LGSP's; empty allows any.
	AllowIPs []string `mapstructure:"allow_ips"`
	// PublicBaseURL is where LGSP exposes this API to the portal; file
	// links (DuongDanTaiTepTin) start with it.
	PublicBaseURL string `mapstructure:"public_base_url"`
	// LinkSecret is the HMAC key of file links (at least 32 characters).
	LinkSecret Secret `mapstructure:"link_secret"`
	// LinkTTL is how long a published file link works.
	LinkTTL time.Duration `mapstructure:"link_ttl"`
	// Stream is the source stream looked up by MaHoSo; its mapping must
	// produce HoSo packets.
	Stream string `mapstructure:"stream"`
}

func defaultInbound() Inbound {
	return Inbound{Listen: ":8443", LinkTTL: 30 * 24 * time.Hour, Stream: inbound.DefaultStream}
}

func (c *Config) validateInbound(k *checker) {
	in := c.Inbound
	if !in.Enabled {
		return
	}
	host, port, err := net.SplitHostPort(in.Listen)
	if n, perr := strconv.Atoi(port); err != nil || perr != nil || n < 1 || n > 65535 {
		k.fail("inbound.listen", fmt.Sprintf("cần dạng host:port, ví dụ :8443; nhận được %q", in.Listen),
			fmt.Sprintf("must be host:port, e.g. :8443; got %q", in.Listen))
	} else if in.TLSCert == "" && !isLoopback(host) {
		k.fail("inbound.tls_cert", "bắt buộc khi lắng nghe ngoài localhost (cổng nhận cuộc gọi từ LGSP phải dùng TLS)",
			"required when listening beyond localhost (calls from LGSP must use TLS)")
	}
	if (in.TLSCert == "") != (in.TLSKey == "") {
		missing := "inbound.tls_key"
		if in.TLSCert == "" {
			missing = "inbound.tls_cert"
		}
		k.fail(missing, "tls_cert và tls_key đi cùng nhau", "tls_cert and tls_key go together")
	}
	k.file("inbound.tls_cert", in.TLSCert)
	k.file("inbound.tls_key", in.TLSKey)
	k.file("inbound.client_ca", in.ClientCA)
	if in.ClientCA != "" && in.TLSCert == "" {
		k.fail("inbound.client_ca", "chứng thư bên gọi (mTLS) cần TLS: đặt tls_cert và tls_key",
			"client certificates (mTLS) need TLS: set tls_cert and tls_key")
	}
	if len(in.BearerTokens) == 0 && in.ClientCA == "" {
		k.fail("inbound.bearer_tokens", "cần ít nhất một cách xác thực: bearer_tokens, client_ca hoặc cả hai",
			"at least one way to authenticate callers is required: bearer_tokens, client_ca or both")
	}
	for i, t := range in.BearerTokens {
		path := fmt.Sprintf("inbound.bearer_tokens[%d]", i)
		switch {
		case len(t) < inbound.MinBearerTokenLen:
			k.fail(path, fmt.Sprintf("mã quá ngắn, cần ít nhất %d ký tự ngẫu nhiên", inbound.MinBearerTokenLen),
				fmt.Sprintf("too short; use at least %d random characters", inbound.MinBearerTokenLen))
		case slices.Contains(in.BearerTokens[:i], t):
			k.fail(path, "trùng với một mã trước", "same as an earlier token")
		}
	}
	for i, a := range in.AllowIPs {
		if _, err := inbound.ParseAllowList([]string{a}); err != nil {
			k.fail(fmt.Sprintf("inbound.allow_ips[%d]", i), fmt.Sprintf("%q không phải địa chỉ IP hay dải CIDR (ví dụ 10.0.0.0/24)", a),
				fmt.Sprintf("%q is not an IP address or CIDR range (e.g. 10.0.0.0/24)", a))
		}
	}
	if k.required("inbound.public_base_url", in.PublicBaseURL) {
		k.endpointURL("inbound.public_base_url", in.PublicBaseURL, false)
	}
	switch {
	case in.LinkSecret == "":
		k.fail("inbound.link_secret", "bắt buộc; nên đặt qua biến môi trường "+envVar("inbound.link_secret"),
			"required; better set it in the environment variable "+envVar("inbound.link_secret"))
	case len(in.LinkSecret) < inbound.MinLinkSecretBytes:
		k.fail("inbound.link_secret", fmt.Sprintf("quá ngắn, cần ít nhất %d ký tự ngẫu nhiên", inbound.MinLinkSecretBytes),
			fmt.Sprintf("too short; use at least %d random characters", inbound.MinLinkSecretBytes))
	}
	k.durationRange("inbound.link_ttl", in.LinkTTL, time.Minute, 365*24*time.Hour)
	if k.required("inbound.stream", in.Stream) {
		if owners, _, complete := c.streamOwners(); complete && len(owners) > 0 {
			switch _, ok := owners[in.Stream]; {
			case ok:
			case len(c.AllSources()) == 1:
				k.fail("inbound.stream", fmt.Sprintf("nguồn không có luồng %q", in.Stream), fmt.Sprintf("the source has no stream %q", in.Stream))
			default:
				k.fail("inbound.stream", fmt.Sprintf("không nguồn nào có luồng %q", in.Stream), fmt.Sprintf("no source has stream %q", in.Stream))
			}
		}
	}
}
