package lgsp

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"strings"
	"time"
)

// Token authentication styles of the token endpoint.
const (
	// TokenAuthBasic sends Authorization: Basic base64(id:secret) and a
	// form body grant_type=client_credentials (WSO2 API Manager style).
	TokenAuthBasic = "basic"
	// TokenAuthForm sends client_id and client_secret in the form body.
	TokenAuthForm = "form"
	// TokenAuthNone sends no Authorization header at all, for proxies that
	// authenticate by network or client certificate only.
	TokenAuthNone = "none"
)

// Options configure a Client. Zero values take the documented defaults.
type Options struct {
	// BaseURL is the LGSP gateway, e.g. https://lgsp.hochiminhcity.gov.vn.
	// Request paths are appended to it.
	BaseURL string
	// TokenURL is absolute, or a path relative to BaseURL. Default "/token".
	TokenURL string
	// ClientID and ClientSecret are the OAuth2 client credentials
	// (WSO2 "consumer key" and "consumer secret").
	ClientID, ClientSecret string
	// TokenAuth is TokenAuthBasic (default), TokenAuthForm or TokenAuthNone.
	TokenAuth string
	// CAFile is a PEM bundle of extra trusted CAs, added to the system pool.
	CAFile string
	// ClientCertFile and ClientKeyFile enable mutual TLS; set both or none.
	ClientCertFile, ClientKeyFile string
	// InsecureSkipVerify disables server certificate verification. Only
	// for rehearsals; New logs a warning every time it is set.
	InsecureSkipVerify bool
	// Timeout bounds one HTTP attempt. Default 30s.
	Timeout time.Duration
	// QuickRetries is the number of retries inside one Send (default 2;
	// negative means none). Long-term retries belong to the outbox.
	QuickRetries int
	// RetryWaitMin and RetryWaitMax bound the jittered exponential wait
	// between quick retries (defaults 500ms and 10s). A Retry-After longer
	// than RetryWaitMax is not waited for inside Send: the result is
	// returned as ClassThrottled so the outbox can wait instead.
	RetryWaitMin, RetryWaitMax time.Duration
	// Headers are static extra headers (e.g. dstcode). The transport's own
	// headers (Authorization, Idempotency-Key, X-Message-ID, Content-Type)
	// always win.
	Headers map[string]string
	// UserAgent defaults to "lgsp-connector".
	UserAgent string
	// Logger receives lifecycle messages and per-attempt debug lines; nil
	// discards them. Bodies, tokens and secrets are never logged.
	Logger *slog.Logger
	// Now is the clock for token expiry; default time.Now.
	Now func() time.Time
}

const (
	defaultTimeout      = 30 * time.Second
	defaultQuickRetries = 2
	defaultWaitMin      = 500 * time.Millisecond
	defaultWaitMax      = 10 * time.Second
	defaultUserAgent    = "lgsp-connector"
)

// withDefaults returns o with defaults applied and checks it, reporting
// every problem at once.
func (o Options) withDefaults() (Options, error) {
	var errs []error
	if o.TokenURL == "" {
		o.TokenURL = "/token"
	}
	if o.TokenAuth == "" {
		o.TokenAuth = TokenAuthBasic
	}
	o.TokenAuth = strings.ToLower(o.TokenAuth)
	if o.Timeout == 0 {
		o.Timeout = defaultTimeout
	}
	if o.QuickRetries == 0 {
		o.QuickRetries = defaultQuickRetries
	}
	if o.QuickRetries < 0 {
		o.QuickRetries = 0
	}
	if o.RetryWaitMin == 0 {
		o.RetryWaitMin = defaultWaitMin
	}
	if o.RetryWaitMax == 0 {
		o.RetryWaitMax = defaultWaitMax
	}
	if o.UserAgent == "" {
		o.UserAgent = defaultUserAgent
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}

	if u, err := url.Parse(o.BaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		errs = append(errs, fmt.Errorf("lgsp base URL %q: want an absolute http:// or https:// URL such as https://lgsp.hochiminhcity.gov.vn", o.BaseURL))
	}
	switch o.TokenAuth {
	case TokenAuthBasic, TokenAuthForm:
		if o.ClientID == "" || o.ClientSecret == "" {
			errs = append(errs, fmt.Errorf("lgsp client ID and client secret are required with token auth %q (set token auth %q only if LGSP asks for no token)", o.TokenAuth, TokenAuthNone))
		}
	case TokenAuthNone:
	default:
		errs = append(errs, fmt.Errorf("lgsp token auth %q: want %q, %q or %q", o.TokenAuth, TokenAuthBasic, TokenAuthForm, TokenAuthNone))
	}
	if o.Timeout < 0 {
		errs = append(errs, fmt.Errorf("lgsp timeout %s: must be positive", o.Timeout))
	}
	if o.RetryWaitMin < 0 || o.RetryWaitMax < o.RetryWaitMin {
		errs = append(errs, fmt.Errorf("lgsp retry waits min %s max %s: want 0 < min <= max", o.RetryWaitMin, o.RetryWaitMax))
	}
	if (o.ClientCertFile == "") != (o.ClientKeyFile == "") {
		errs = append(errs, fmt.Errorf("lgsp client certificate %q and key %q: set both for mutual TLS, or neither", o.ClientCertFile, o.ClientKeyFile))
	}
	for k := range o.Headers {
		if k == "" || strings.ContainsAny(k, " \t\r\n:") {
			errs = append(errs, fmt.Errorf("lgsp extra header name %q is not a valid HTTP header name", k))
		}
	}
	return o, errors.Join(errs...)
}

// tlsConfig builds the client TLS configuration: TLS 1.2 or newer,
// verification on, extra CAs and client certificate read from files.
func (o Options) tlsConfig() (*tls.Config, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if o.CAFile != "" {
		pem, err := os.ReadFile(o.CAFile)
		if err != nil {
			return nil, fmt.Errorf("read LGSP CA bundle %q: %w", o.CAFile, err)
		}
		pool, err := x509.SystemCertPool()
		if err != nil || pool == nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("LGSP CA bundle %q holds no PEM certificate (want -----BEGIN CERTIFICATE----- blocks)", o.CAFile)
		}
		cfg.RootCAs = pool
	}
	if o.ClientCertFile != "" {
		cert, err := tls.LoadX509KeyPair(o.ClientCertFile, o.ClientKeyFile)
		if err != nil {
			return nil, fmt.Errorf("load LGSP client certificate %q with key %q: %w", o.ClientCertFile, o.ClientKeyFile, err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	cfg.InsecureSkipVerify = o.InsecureSkipVerify
	return cfg, nil
}

// isLoopbackURL reports whether u points at this machine, where plain HTTP
// does not expose the bearer token to the network.
func isLoopbackURL(u *url.URL) bool {
	host := u.Hostname()
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
