package restjson

import (
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net/url"
	"os"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	// Windows servers have no zoneinfo database; without the embedded copy
	// the default zone Asia/Ho_Chi_Minh would not load there.
	_ "time/tzdata"

	"github.com/hcmc-lgsp/lgsp-connector/connectors"
)

// TypeName is the connector's name in YAML (source.type).
const TypeName = "rest_json"

// Paging styles, as written in streams.<name>.paging.type.
const (
	PagingCursor    = "cursor"
	PagingPage      = "page"
	PagingNextToken = "next_token"
)

// Key types, as written in streams.<name>.key_type.
const (
	KeyInt    = "int"
	KeyString = "string"
)

// Time formats with a name, beside Go layouts.
const (
	FormatRFC3339 = "RFC3339"
	FormatUnix    = "unix"
	FormatUnixMS  = "unix_ms"
)

// Defaults. The retries are few on purpose: they only bridge a hiccup
// within one poll; the pipeline polls again later anyway.
const (
	DefaultTimeout         = 30 * time.Second
	DefaultRetries         = 3
	DefaultMaxBodySize     = 32 << 20
	DefaultTimezone        = "Asia/Ho_Chi_Minh"
	DefaultLag             = 30 * time.Second
	DefaultPageSize        = 100
	DefaultMaxPagesPerRead = 50
	MaxPageSize            = 10000
	MaxPagesLimit          = 10000
	DefaultSinceParam      = "since"
	DefaultAfterParam      = "after_id"
	DefaultPageParam       = "page"
	DefaultSizeParam       = "page_size"
	DefaultFirstPage       = 1
	minBodySize            = 1 << 10
	maxBodySize            = 1 << 30
	maxRetries             = 10
	minDurationWithUnits   = time.Millisecond
)

// defaultUpdatedFormats are tried when streams.<name>.updated_format is
// empty: RFC 3339 (with an offset, fractions allowed), then the same
// without an offset, read in Timezone.
var defaultUpdatedFormats = []string{FormatRFC3339, "2006-01-02T15:04:05", "2006-01-02 15:04:05"}

// Config is the source section for type rest_json: records pulled from a
// vendor's HTTP API that answers JSON (kiosks, survey apps, web forms).
type Config struct {
	// BaseURL is the API's root, e.g. https://kiosk.example.vn/api. Stream
	// paths are appended to it. https is required unless
	// AllowInsecureHTTP.
	BaseURL string `mapstructure:"base_url"`
	// AllowInsecureHTTP permits an http:// base URL (credentials and
	// personal data then travel unencrypted); a warning is logged at start.
	AllowInsecureHTTP bool `mapstructure:"allow_insecure_http"`
	// Timeout bounds one HTTP attempt, reading the body included.
	Timeout time.Duration `mapstructure:"timeout"`
	// Retries is how many times one request is retried after a network
	// error, HTTP 429 or a 5xx, with a short backoff (Retry-After is
	// honoured up to the timeout). 0 disables.
	Retries int `mapstructure:"retries"`
	// MaxBodySize caps one response body in bytes; a longer one fails the
	// read instead of filling memory.
	MaxBodySize int64 `mapstructure:"max_body_size"`
	// Timezone is the zone of times the API writes without an offset, and
	// of since values written with a layout without one.
	Timezone string `mapstructure:"timezone"`
	// Headers are sent with every request (an API key, Accept-Language …).
	// Values may contain ${ENV_NAME}, replaced from the environment. They
	// print as [REDACTED] and are never logged.
	Headers map[string]Secret `mapstructure:"headers"`
	// BearerToken, when set, is sent as "Authorization: Bearer <token>".
	// ${ENV_NAME} is expanded; the environment overlay sets it too
	// (LGSP_SOURCE_BEARER_TOKEN).
	BearerToken Secret `mapstructure:"bearer_token"`
	// TLS verifies the API's certificate.
	TLS TLSConfig `mapstructure:"tls"`
	// Streams maps a stream name (danh_gia …) to the endpoint serving it.
	Streams map[string]StreamConfig `mapstructure:"streams"`
	// StreamOrder is the polling order; streams not listed follow, ho_so
	// first, then by name.
	StreamOrder []string `mapstructure:"stream_order"`
}

// TLSConfig says how the API's certificate is checked.
type TLSConfig struct {
	// CAFile is a PEM bundle of the CAs that may sign the API's
	// certificate (a vendor's private CA); empty means the system's.
	CAFile string `mapstructure:"ca_file"`
	// InsecureSkipVerify turns verification off: anyone on the network
	// path can then read and alter the data. Rehearsals only; a loud
	// warning is logged at start and the doctor reports it.
	InsecureSkipVerify bool `mapstructure:"insecure_skip_verify"`
}

// StreamConfig declares one stream: the endpoint, where the items are in
// its answers, which fields place them in time, and how to page.
type StreamConfig struct {
	// Path is appended to base_url, e.g. /api/v1/ratings.
	Path string `mapstructure:"path"`
	// Method is GET (default) or POST.
	Method string `mapstructure:"method"`
	// Body is the JSON sent with POST. The placeholders {{since}},
	// {{after}}, {{token}} (JSON strings, or null when there is no value)
	// and {{page}}, {{page_size}} (numbers) stand for whole JSON values.
	Body string `mapstructure:"body"`
	// Query holds fixed query parameters sent with every request (a unit
	// code, an API key some vendors want in the URL). Values may contain
	// ${ENV_NAME}; they print as [REDACTED] and are hidden in messages.
	Query map[string]Secret `mapstructure:"query"`
	// Items is the dot path of the array of items in a response
	// ("data.items"); empty means the response is the array itself.
	Items string `mapstructure:"items"`
	// Key is the dot path, inside an item, of its unique key.
	Key string `mapstructure:"key"`
	// KeyType is int (default: keys compare as numbers) or string (keys
	// compare byte by byte: UUIDs, codes).
	KeyType string `mapstructure:"key_type"`
	// Updated is the dot path, inside an item, of its last-update time.
	Updated string `mapstructure:"updated"`
	// UpdatedFormat lists the accepted forms of Updated: Go layouts
	// (2006-01-02 15:04:05), RFC3339, unix (seconds) or unix_ms; the first
	// that parses wins. Default: RFC3339, 2006-01-02T15:04:05,
	// 2006-01-02 15:04:05.
	UpdatedFormat []string `mapstructure:"updated_format"`
	// Paging says how the API hands out more than one page.
	Paging PagingConfig `mapstructure:"paging"`
	// PageSize is the number of items asked for per request; 0 means
	// DefaultPageSize.
	PageSize int `mapstructure:"page_size"`
	// MaxPagesPerRead bounds the requests of one Read; 0 means
	// DefaultMaxPagesPerRead.
	MaxPagesPerRead int `mapstructure:"max_pages_per_read"`
	// Fields, when set, picks the values of a record: item field (dot
	// path) → record column. Without it every top-level field of the item
	// becomes a column under its own name.
	Fields map[string]string `mapstructure:"fields"`
	// Lag holds back items updated less than Lag ago, so an item the
	// vendor writes late with an older time is not passed by the cursor.
	// nil means DefaultLag; 0 disables the window (not advised).
	Lag *time.Duration `mapstructure:"lag"`
}

// PagingConfig is one of three paging styles; the keys of the others must
// stay empty.
type PagingConfig struct {
	// Type is cursor, page or next_token (required).
	Type string `mapstructure:"type"`
	// SinceParam carries the cursor's update time. cursor: required
	// (default "since"); page and next_token: optional, a server-side
	// "changed since" filter that keeps each read short.
	SinceParam string `mapstructure:"since_param"`
	// SinceFormat writes the time in SinceParam: RFC3339 (default), unix,
	// unix_ms or a Go layout down to the second (read in timezone).
	SinceFormat string `mapstructure:"since_format"`
	// AfterParam (cursor only, default "after_id") carries the cursor's key.
	AfterParam string `mapstructure:"after_param"`
	// PageParam (page only, default "page") carries the page number.
	PageParam string `mapstructure:"page_param"`
	// FirstPage (page only) is the number of the first page; default 1.
	FirstPage *int `mapstructure:"first_page"`
	// SizeParam carries page_size; default "page_size".
	SizeParam string `mapstructure:"size_param"`
	// TokenPath (next_token only, required) is the dot path, in a
	// response, of the next page's token or URL; empty, null or missing
	// means the last page.
	TokenPath string `mapstructure:"token_path"`
	// TokenParam (next_token only) is the query parameter that sends the
	// token back; empty means the token is the next page's URL (on
	// base_url's host).
	TokenParam string `mapstructure:"token_param"`
}

// Secret is a configuration value that must never be printed.
type Secret = connectors.Secret

const redacted = connectors.Redacted

// NewDefaultConfig returns a config filled with every default, before the
// user's values are decoded into it.
func NewDefaultConfig() *Config {
	return &Config{
		Timeout:     DefaultTimeout,
		Retries:     DefaultRetries,
		MaxBodySize: DefaultMaxBodySize,
		Timezone:    DefaultTimezone,
	}
}

// StreamNames lists the configured streams in polling order; the config
// loader checks the mapping's streams against it.
func (c *Config) StreamNames() []string { return c.streamOrder() }

// Validate reports every problem at once. Each error starts with the key
// path relative to the source section ("streams.danh_gia.items: …"); the
// config loader puts the section in front (source. or sources.<name>.).
func (c *Config) Validate() []error {
	var errs []error
	add := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", key, fmt.Sprintf(format, args...)))
	}

	if msg := checkBaseURL(c.BaseURL, c.AllowInsecureHTTP); msg != "" {
		add("base_url", "%s", msg)
	}
	if c.Timeout < time.Second || c.Timeout > 10*time.Minute {
		add("timeout", "%s must be between 1s and 10m (default %s)", c.Timeout, DefaultTimeout)
	}
	if c.Retries < 0 || c.Retries > maxRetries {
		add("retries", "%d must be between 0 and %d (default %d)", c.Retries, maxRetries, DefaultRetries)
	}
	if c.MaxBodySize < minBodySize || c.MaxBodySize > maxBodySize {
		add("max_body_size", "%d bytes must be between %d (1 KiB) and %d (1 GiB); default %d (32 MiB)", c.MaxBodySize, minBodySize, maxBodySize, DefaultMaxBodySize)
	}
	if _, err := time.LoadLocation(c.Timezone); c.Timezone == "" || err != nil {
		add("timezone", "%q is not a known time zone; use an IANA name such as Asia/Ho_Chi_Minh", c.Timezone)
	}
	for _, name := range sortedKeys(c.Headers) {
		if msg := checkHeader(name, c.Headers[name], c.BearerToken != ""); msg != "" {
			add("headers."+name, "%s", msg)
		}
	}
	if c.BearerToken != "" {
		if msg := checkSecretValue(c.BearerToken); msg != "" {
			add("bearer_token", "%s", msg)
		}
	}
	if c.TLS.CAFile != "" {
		if _, err := loadCAFile(c.TLS.CAFile); err != nil {
			add("tls.ca_file", "%s", err.Error())
		}
	}

	if len(c.Streams) == 0 {
		add("streams", "at least one stream is required, e.g. danh_gia")
	}
	for _, name := range sortedKeys(c.Streams) {
		errs = append(errs, c.Streams[name].validate("streams."+name, name)...)
	}
	seen := map[string]bool{}
	for i, name := range c.StreamOrder {
		key := fmt.Sprintf("stream_order[%d]", i)
		switch _, ok := c.Streams[name]; {
		case !ok:
			add(key, "%q is not a stream under streams (known: %s)", name, strings.Join(sortedKeys(c.Streams), ", "))
		case seen[name]:
			add(key, "%q is listed twice", name)
		}
		seen[name] = true
	}
	return errs
}

func checkBaseURL(raw string, allowHTTP bool) string {
	if strings.TrimSpace(raw) == "" {
		return "is required: the API's root, e.g. https://kiosk.example.vn/api"
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return fmt.Sprintf("%q is not an absolute http(s) URL such as https://kiosk.example.vn/api", raw)
	}
	if u.User != nil {
		return "must not contain a user or password; send credentials with headers or bearer_token"
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return "must not contain ?query or #fragment; put fixed query parameters under streams.<name>.query"
	}
	if u.Scheme == "http" && !allowHTTP {
		return fmt.Sprintf("%q uses plain http: credentials and personal data would travel unencrypted; use https, or set allow_insecure_http: true for a server on a trusted network", raw)
	}
	return ""
}

// headerNameRE is an HTTP header field name (RFC 9110 token).
var headerNameRE = regexp.MustCompile("^[A-Za-z0-9!#$%&'*+.^_`|~-]+$")

func checkHeader(name string, value Secret, bearer bool) string {
	if !headerNameRE.MatchString(name) {
		return fmt.Sprintf("%q is not an HTTP header name (letters, digits and -)", name)
	}
	switch strings.ToLower(name) {
	case "host", "content-length", "transfer-encoding", "connection":
		return "is set by the connector itself; remove it"
	case "authorization":
		if bearer {
			return "conflicts with bearer_token, which sets Authorization; keep one"
		}
	}
	return checkSecretValue(value)
}

// checkSecretValue checks a header or query value: its ${ENV} references
// are set and it has no line breaks (which would split the request).
func checkSecretValue(v Secret) string {
	expanded, missing := expandEnv(v.Reveal())
	if len(missing) > 0 {
		return fmt.Sprintf("names the environment variable %s, which is not set", strings.Join(missing, ", "))
	}
	if strings.ContainsAny(expanded, "\r\n") {
		return "must not contain line breaks"
	}
	return ""
}

// envRefRE is a ${NAME} reference in a header or query value. A $ that is
// not followed by {NAME} stays as written (API keys may contain one).
var envRefRE = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)\}`)

// expandEnv replaces ${NAME} references with the environment's values and
// lists the names that are not set.
func expandEnv(s string) (string, []string) {
	var missing []string
	out := envRefRE.ReplaceAllStringFunc(s, func(ref string) string {
		name := ref[2 : len(ref)-1]
		v, ok := os.LookupEnv(name)
		if !ok {
			missing = append(missing, name)
		}
		return v
	})
	return out, missing
}

// loadCAFile reads a PEM bundle and returns its certificates.
func loadCAFile(path string) (*x509.CertPool, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("cannot read %q: %v", path, errors.Unwrap(err))
	}
	pool := x509.NewCertPool()
	n := 0
	for rest := raw; ; {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("%q holds a certificate that cannot be read: %v", path, err)
		}
		pool.AddCert(cert)
		n++
	}
	if n == 0 {
		return nil, fmt.Errorf("%q holds no PEM certificate (-----BEGIN CERTIFICATE-----)", path)
	}
	return pool, nil
}

func (s StreamConfig) validate(path, name string) []error {
	var errs []error
	add := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s.%s: %s", path, key, fmt.Sprintf(format, args...)))
	}
	if !isSimpleName(name) {
		errs = append(errs, fmt.Errorf("%s: stream name %q must be lower-case letters, digits and _", path, name))
	}
	switch {
	case s.Path == "":
		add("path", "is required: the endpoint under base_url, e.g. /api/v1/ratings")
	case !strings.HasPrefix(s.Path, "/"):
		add("path", "%q must start with /", s.Path)
	case strings.ContainsAny(s.Path, "?#"):
		add("path", "%q must not contain ? or #; put fixed query parameters under query", s.Path)
	default:
		if _, err := url.Parse(s.Path); err != nil {
			add("path", "%q is not a URL path", s.Path)
		}
	}
	method := s.method()
	switch method {
	case "GET":
		if s.Body != "" {
			add("body", "is only sent with method: POST")
		}
	case "POST":
		if s.Body != "" {
			if msg := checkBodyTemplate(s.Body); msg != "" {
				add("body", "%s", msg)
			}
		}
	default:
		add("method", "%q is not GET or POST", s.Method)
	}
	if msg := checkPath(s.Items, true); msg != "" {
		add("items", "%s", msg)
	}
	if s.Key == "" {
		add("key", "is required: the field of an item holding its unique key, e.g. id")
	} else if msg := checkPath(s.Key, false); msg != "" {
		add("key", "%s", msg)
	}
	if s.Updated == "" {
		add("updated", "is required: the field of an item holding its last-update time, e.g. updated_at")
	} else if msg := checkPath(s.Updated, false); msg != "" {
		add("updated", "%s", msg)
	}
	if s.Key != "" && s.Key == s.Updated {
		add("key", "must differ from updated %q", s.Updated)
	}
	switch s.KeyType {
	case "", KeyInt, KeyString:
	default:
		add("key_type", "%q is not int or string", s.KeyType)
	}
	for i, f := range s.UpdatedFormat {
		if _, err := compileFormat(f); err != nil {
			add(fmt.Sprintf("updated_format[%d]", i), "%s", err.Error())
		}
	}
	if s.PageSize < 0 || s.PageSize > MaxPageSize {
		add("page_size", "%d must be between 1 and %d (0 means %d)", s.PageSize, MaxPageSize, DefaultPageSize)
	}
	if s.MaxPagesPerRead < 0 || s.MaxPagesPerRead > MaxPagesLimit {
		add("max_pages_per_read", "%d must be between 1 and %d (0 means %d)", s.MaxPagesPerRead, MaxPagesLimit, DefaultMaxPagesPerRead)
	}
	if s.Lag != nil {
		switch lag := *s.Lag; {
		case lag < 0:
			add("lag", "%s must not be negative", lag)
		case lag > 0 && lag < minDurationWithUnits:
			add("lag", "%s is suspiciously short; write the unit, e.g. 30s", lag)
		}
	}
	columns := map[string]string{}
	for _, field := range sortedKeys(s.Fields) {
		col := s.Fields[field]
		fpath := "fields." + field
		if msg := checkPath(field, false); msg != "" {
			add(fpath, "%s", msg)
		}
		switch {
		case strings.TrimSpace(col) == "":
			add(fpath, "needs the record column to put the field in")
		case col == connectors.RecordErrorKey:
			add(fpath, "%q is reserved", col)
		case columns[col] != "":
			add(fpath, "column %q is also filled from %q; every column needs its own field", col, columns[col])
		}
		columns[col] = field
	}
	errs = append(errs, s.Paging.validate(path+".paging", s.Query)...)
	if t := s.Paging.TokenPath; s.Paging.Type == PagingNextToken && t != "" && checkPath(t, false) == "" {
		items, token := splitPath(s.Items), splitPath(t)
		switch {
		case len(items) == 0:
			add("paging.token_path", "needs items to name a field: an answer that is the array itself has no room for a next-page token")
		case slices.Equal(items, token) || isPrefix(items, token) || isPrefix(token, items):
			add("paging.token_path", "%q must be a field beside the items (%q), not the items or a field containing them", t, s.Items)
		}
	}
	for _, q := range sortedKeys(s.Query) {
		if q == "" {
			add("query", "a parameter has an empty name")
			continue
		}
		if msg := checkSecretValue(s.Query[q]); msg != "" {
			add("query."+q, "%s", msg)
		}
	}
	return errs
}

func (p PagingConfig) validate(path string, fixed map[string]Secret) []error {
	var errs []error
	add := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s.%s: %s", path, key, fmt.Sprintf(format, args...)))
	}
	only := func(key, value, typ string) {
		if value != "" {
			add(key, "is only used with type: %s", typ)
		}
	}
	switch p.Type {
	case PagingCursor:
		only("page_param", p.PageParam, PagingPage)
		if p.FirstPage != nil {
			add("first_page", "is only used with type: %s", PagingPage)
		}
		only("token_path", p.TokenPath, PagingNextToken)
		only("token_param", p.TokenParam, PagingNextToken)
	case PagingPage:
		only("after_param", p.AfterParam, PagingCursor)
		only("token_path", p.TokenPath, PagingNextToken)
		only("token_param", p.TokenParam, PagingNextToken)
		if p.FirstPage != nil && (*p.FirstPage < 0 || *p.FirstPage > 1) {
			add("first_page", "%d must be 0 or 1 (default 1)", *p.FirstPage)
		}
	case PagingNextToken:
		only("after_param", p.AfterParam, PagingCursor)
		only("page_param", p.PageParam, PagingPage)
		if p.FirstPage != nil {
			add("first_page", "is only used with type: %s", PagingPage)
		}
		if p.TokenPath == "" {
			add("token_path", "is required: the field of a response holding the next page's token or URL, e.g. paging.next")
		} else if msg := checkPath(p.TokenPath, false); msg != "" {
			add("token_path", "%s", msg)
		}
	case "":
		add("type", "is required: cursor (the API filters by since/after), page (page numbers) or next_token (a token or URL per page)")
		return errs
	default:
		add("type", "%q is not cursor, page or next_token", p.Type)
		return errs
	}
	if p.SinceFormat != "" {
		if p.Type != PagingCursor && p.SinceParam == "" {
			add("since_format", "is only used with since_param")
		} else if msg := checkSinceFormat(p.SinceFormat); msg != "" {
			add("since_format", "%s", msg)
		}
	}
	// Every parameter the connector sets has its own name, and none is
	// also a fixed query parameter.
	params := map[string]string{}
	for _, pp := range p.params() {
		switch {
		case !paramNameRE.MatchString(pp.name):
			add(pp.key, "%q is not a query parameter name (letters, digits, _ . - [ ])", pp.name)
		case params[pp.name] != "":
			add(pp.key, "%q is also %s", pp.name, params[pp.name])
		case fixed != nil && fixed[pp.name] != "":
			add(pp.key, "%q is also a fixed parameter under query", pp.name)
		}
		params[pp.name] = pp.key
	}
	return errs
}

var paramNameRE = regexp.MustCompile(`^[A-Za-z0-9_.\-\[\]]+$`)

type namedParam struct{ key, name string }

// params lists the query parameters of the paging style, defaults applied.
func (p PagingConfig) params() []namedParam {
	var out []namedParam
	add := func(key, name string) {
		if name != "" {
			out = append(out, namedParam{key, name})
		}
	}
	switch p.Type {
	case PagingCursor:
		add("since_param", p.sinceParam())
		add("after_param", p.afterParam())
	case PagingPage:
		add("since_param", p.SinceParam)
		add("page_param", p.pageParam())
	case PagingNextToken:
		add("since_param", p.SinceParam)
		add("token_param", p.TokenParam)
	}
	add("size_param", p.sizeParam())
	return out
}

func (p PagingConfig) sinceParam() string {
	if p.SinceParam == "" && p.Type == PagingCursor {
		return DefaultSinceParam
	}
	return p.SinceParam
}

func (p PagingConfig) afterParam() string {
	if p.AfterParam == "" {
		return DefaultAfterParam
	}
	return p.AfterParam
}

func (p PagingConfig) pageParam() string {
	if p.PageParam == "" {
		return DefaultPageParam
	}
	return p.PageParam
}

func (p PagingConfig) sizeParam() string {
	if p.SizeParam == "" {
		return DefaultSizeParam
	}
	return p.SizeParam
}

func (p PagingConfig) firstPage() int {
	if p.FirstPage == nil {
		return DefaultFirstPage
	}
	return *p.FirstPage
}

func (p PagingConfig) sinceFormat() string {
	if p.SinceFormat == "" {
		return FormatRFC3339
	}
	return p.SinceFormat
}

// checkSinceFormat accepts the named formats and Go layouts that keep the
// time to the second: a coarser since would make the server resend items
// the cursor has passed, which can stall a stream.
func checkSinceFormat(f string) string {
	switch normalizeFormat(f) {
	case time.RFC3339, FormatUnix, FormatUnixMS:
		return ""
	}
	probe := time.Date(2024, 12, 31, 23, 59, 58, 0, time.UTC)
	if back, err := time.Parse(f, probe.Format(f)); err != nil || !back.Equal(probe) {
		return fmt.Sprintf("%q is not RFC3339, unix, unix_ms or a Go time layout down to the second, e.g. 2006-01-02 15:04:05", f)
	}
	return ""
}

// bodyPlaceholders are the values a POST body template may use, with a
// sample of each for validation.
var bodyPlaceholders = map[string]string{
	"{{since}}":     `"2024-03-01T08:00:00+07:00"`,
	"{{after}}":     `"1042"`,
	"{{token}}":     `"abc"`,
	"{{page}}":      `1`,
	"{{page_size}}": `100`,
}

var placeholderRE = regexp.MustCompile(`\{\{[^{}]*\}\}`)

func checkBodyTemplate(body string) string {
	for _, ph := range placeholderRE.FindAllString(body, -1) {
		if _, ok := bodyPlaceholders[ph]; !ok {
			return fmt.Sprintf("unknown placeholder %s (known: {{since}}, {{after}}, {{token}}, {{page}}, {{page_size}})", ph)
		}
	}
	sample := body
	for ph, v := range bodyPlaceholders {
		sample = strings.ReplaceAll(sample, ph, v)
	}
	if !json.Valid([]byte(sample)) {
		return `is not JSON once the placeholders are filled in; placeholders stand for whole values: write {"from": {{since}}}, not {"from": "{{since}}"}`
	}
	return ""
}

// checkPath checks a dot path: names separated by dots, no empty name.
func checkPath(p string, emptyOK bool) string {
	if p == "" {
		if emptyOK {
			return ""
		}
		return "is required"
	}
	for _, seg := range strings.Split(p, ".") {
		if seg == "" {
			return fmt.Sprintf("%q is not a dot path of field names such as data.items", p)
		}
	}
	return ""
}

func isSimpleName(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_') {
			return false
		}
	}
	return true
}

// validationError joins Validate's errors, or returns nil.
func (c *Config) validationError() error {
	errs := c.Validate()
	if len(errs) == 0 {
		return nil
	}
	return errors.Join(errs...)
}

func (s StreamConfig) method() string {
	if s.Method == "" {
		return "GET"
	}
	return strings.ToUpper(s.Method)
}

func (s StreamConfig) lag() time.Duration {
	if s.Lag == nil {
		return DefaultLag
	}
	return *s.Lag
}

func (s StreamConfig) pageSize() int {
	if s.PageSize == 0 {
		return DefaultPageSize
	}
	return s.PageSize
}

func (s StreamConfig) maxPages() int {
	if s.MaxPagesPerRead == 0 {
		return DefaultMaxPagesPerRead
	}
	return s.MaxPagesPerRead
}

func (s StreamConfig) keyType() string {
	if s.KeyType == "" {
		return KeyInt
	}
	return s.KeyType
}

func (s StreamConfig) updatedFormats() []string {
	if len(s.UpdatedFormat) == 0 {
		return defaultUpdatedFormats
	}
	return s.UpdatedFormat
}

// streamOrder is the polling order: the configured one, then the other
// streams with ho_so first and the rest by name.
func (c *Config) streamOrder() []string {
	return connectors.OrderStreams(c.StreamOrder, sortedKeys(c.Streams))
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
