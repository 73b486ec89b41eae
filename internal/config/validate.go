package config

import (
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hcmc-lgsp/lgsp-connector/connectors"
	"github.com/hcmc-lgsp/lgsp-connector/internal/lgsp"
	"github.com/hcmc-lgsp/lgsp-connector/internal/logging"
	"github.com/hcmc-lgsp/lgsp-connector/internal/scheduler"
	"github.com/hcmc-lgsp/lgsp-connector/packets"
	"github.com/hcmc-lgsp/lgsp-connector/signing"
)

// agencyIDRE is the agency identifier (mã định danh) of QCVN 102:2016:
// ddd.dd.dd.Xdd, e.g. 000.00.12.H29.
var agencyIDRE = regexp.MustCompile(`^\d{3}\.\d{2}\.\d{2}\.[A-Z]\d{2}$`)

// Profiles are the wire formats the connector speaks.
var profiles = []string{"hcm-lgsp", "dvcqg"}

// packetKinds are the keys lgsp.endpoints accepts.
var packetKinds = []string{
	string(packets.KindDossier), string(packets.KindProgress), string(packets.KindRating),
	string(packets.KindStats), string(packets.KindHeartbeat),
}

var headerNameRE = regexp.MustCompile("^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")

// resolvePaths makes relative file paths relative to the config file's
// directory, not to wherever the service happens to be started from.
func (c *Config) resolvePaths(baseDir string) {
	if baseDir == "" {
		return
	}
	for _, p := range []*string{
		&c.LGSP.CAFile, &c.LGSP.ClientCert, &c.LGSP.ClientKey,
		&c.Signing.CertFile, &c.Signing.KeyFile, &c.Signing.PKCS12File,
		&c.Store.Path,
		&c.Inbound.TLSCert, &c.Inbound.TLSKey, &c.Inbound.ClientCA,
	} {
		if *p != "" && !filepath.IsAbs(*p) {
			*p = filepath.Join(baseDir, *p)
		}
	}
}

// checker adds validation problems, skipping keys whose value already
// failed to decode (the value checked would be the default, and the user
// would read two messages about one line).
type checker struct {
	ps     *problems
	decode map[string]bool // paths with decoding problems
	o      LoadOptions
}

func (k *checker) fail(path, vi, en string) {
	if k.blocked(path) {
		return
	}
	k.ps.add(path, vi, en)
}

func (k *checker) failMsg(path, msg string) {
	if k.blocked(path) {
		return
	}
	k.ps.addMsg(path, msg)
}

func (k *checker) blocked(path string) bool {
	if k.ps.suggested[path] {
		return true // "unknown key x (did you mean path?)" already covers it
	}
	for p := range k.decode {
		if p == path || strings.HasPrefix(path, p+".") || strings.HasPrefix(p, path+".") {
			return true
		}
	}
	return false
}

func (k *checker) required(path, value string) bool {
	if strings.TrimSpace(value) == "" {
		k.fail(path, "bắt buộc", "required")
		return false
	}
	return true
}

func (k *checker) oneOf(path, value string, allowed []string) {
	if slices.Contains(allowed, value) {
		return
	}
	list := strings.Join(allowed, ", ")
	if s := suggest(value, allowed); s != "" && value != "" {
		k.fail(path, fmt.Sprintf("giá trị %q không hợp lệ (có phải %s?)", value, s), fmt.Sprintf("invalid value %q (did you mean %s?)", value, s))
		return
	}
	k.fail(path, fmt.Sprintf("giá trị %q không hợp lệ; dùng một trong: %s", value, list), fmt.Sprintf("invalid value %q; use one of: %s", value, list))
}

func (k *checker) intRange(path string, v, lo, hi int) {
	if v < lo || v > hi {
		k.fail(path, fmt.Sprintf("phải từ %d đến %d, nhận được %d", lo, hi, v), fmt.Sprintf("must be between %d and %d, got %d", lo, hi, v))
	}
}

func (k *checker) durationRange(path string, v, lo, hi time.Duration) {
	if v < lo || v > hi {
		k.fail(path, fmt.Sprintf("phải từ %s đến %s, nhận được %s", fmtDur(lo), fmtDur(hi), fmtDur(v)),
			fmt.Sprintf("must be between %s and %s, got %s", fmtDur(lo), fmtDur(hi), fmtDur(v)))
	}
}

// fmtDur prints a duration the way people write it in the file: whole
// days as "90d", and without Go's trailing zero units ("2m", not "2m0s").
func fmtDur(d time.Duration) string {
	if d >= 24*time.Hour && d%(24*time.Hour) == 0 {
		return strconv.FormatInt(int64(d/(24*time.Hour)), 10) + "d"
	}
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// file checks that a file the configuration names exists.
func (k *checker) file(path, name string) {
	if name == "" || k.o.SkipFileChecks {
		return
	}
	st, err := os.Stat(name)
	switch {
	case err != nil:
		k.fail(path, fmt.Sprintf("không tìm thấy tệp %q", name), fmt.Sprintf("file not found: %q", name))
	case st.IsDir():
		k.fail(path, fmt.Sprintf("%q là thư mục, cần một tệp", name), fmt.Sprintf("%q is a directory, not a file", name))
	}
}

// endpointURL checks an absolute URL: http(s), with a host; plain http
// only towards this machine or when TLS checks are off anyway.
func (k *checker) endpointURL(path, raw string, insecure bool) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		k.fail(path, fmt.Sprintf("cần một URL đầy đủ bắt đầu bằng https://, nhận được %q", raw),
			fmt.Sprintf("must be an absolute URL starting with https://, got %q", raw))
		return
	}
	if u.Scheme == "http" && !insecure && !isLoopback(u.Hostname()) {
		k.fail(path, fmt.Sprintf("phải dùng https:// (http chỉ dùng cho localhost), nhận được %q", raw),
			fmt.Sprintf("must use https:// (http only towards localhost), got %q", raw))
	}
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func (c *Config) validate(ps *problems, o LoadOptions) {
	k := &checker{ps: ps, o: o, decode: map[string]bool{}}
	for _, p := range ps.list {
		k.decode[p.Path] = true
	}

	// unit
	if k.required("unit.code", c.Unit.Code) && !agencyIDRE.MatchString(c.Unit.Code) {
		k.fail("unit.code",
			fmt.Sprintf("mã định danh đơn vị phải có dạng ddd.dd.dd.Xdd, ví dụ 000.00.12.H29; nhận được %q", c.Unit.Code),
			fmt.Sprintf("agency identifier must look like ddd.dd.dd.Xdd, e.g. 000.00.12.H29; got %q", c.Unit.Code))
	}

	c.validateSource(k)
	c.validateLGSP(k)
	c.validateSigning(k)
	c.validateInbound(k)
	c.validateCatalogs(k)
	c.validateDVCQG(k)
	c.validateStatistics(k)
	c.validateRatings(k)

	// store
	if k.required("store.path", c.Store.Path) && !o.SkipFileChecks {
		dir := filepath.Dir(c.Store.Path)
		if st, err := os.Stat(dir); err != nil || !st.IsDir() {
			k.fail("store.path", fmt.Sprintf("thư mục %q không tồn tại; hãy tạo nó trước", dir),
				fmt.Sprintf("directory %q does not exist; create it first", dir))
		}
	}
	k.durationRange("store.retention", c.Store.Retention, 24*time.Hour, 10*365*24*time.Hour)

	// delivery
	k.intRange("delivery.workers", c.Delivery.Workers, 1, 64)
	k.durationRange("delivery.lease", c.Delivery.Lease, 10*time.Second, time.Hour)
	k.intRange("delivery.max_attempts", c.Delivery.MaxAttempts, 1, 100000)
	k.durationRange("delivery.backoff_base", c.Delivery.BackoffBase, 10*time.Millisecond, time.Hour)
	k.durationRange("delivery.backoff_max", c.Delivery.BackoffMax, 10*time.Millisecond, 7*24*time.Hour)
	if c.Delivery.BackoffMax < c.Delivery.BackoffBase {
		k.fail("delivery.backoff_max", fmt.Sprintf("phải ≥ backoff_base (%s)", fmtDur(c.Delivery.BackoffBase)),
			fmt.Sprintf("must be at least backoff_base (%s)", fmtDur(c.Delivery.BackoffBase)))
	}

	// schedule
	if k.required("schedule.poll", c.Schedule.Poll) {
		if _, err := scheduler.ParseSpec(c.Schedule.Poll); err != nil {
			k.failMsg("schedule.poll", err.Error())
		}
	}
	if _, err := scheduler.LoadLocation(c.Schedule.Timezone); err != nil || c.Schedule.Timezone == "" {
		k.fail("schedule.timezone", fmt.Sprintf("múi giờ %q không tồn tại; dùng tên IANA như Asia/Ho_Chi_Minh", c.Schedule.Timezone),
			fmt.Sprintf("unknown time zone %q; use an IANA name such as Asia/Ho_Chi_Minh", c.Schedule.Timezone))
	}

	// validation, log, admin
	if _, err := packets.ParseMaHoSoPolicy(c.Validation.MaHoSoPolicy); err != nil {
		k.oneOf("validation.mahoso_policy", c.Validation.MaHoSoPolicy,
			[]string{string(packets.PolicyWarn), string(packets.PolicyReject), string(packets.PolicySubstitute)})
	}
	if _, err := logging.ParseLevel(c.Log.Level); err != nil {
		k.oneOf("log.level", c.Log.Level, []string{"debug", "info", "warn", "error"})
	}
	k.oneOf("log.format", c.Log.Format, []string{logging.FormatText, logging.FormatJSON})
	for i, key := range c.Log.MaskKeys {
		if strings.TrimSpace(key) == "" {
			k.fail(fmt.Sprintf("log.mask_keys[%d]", i), "không được để trống", "must not be empty")
		}
	}
	if c.Admin.Listen != "" {
		_, port, err := net.SplitHostPort(c.Admin.Listen)
		n, perr := strconv.Atoi(port)
		if err != nil || perr != nil || n < 1 || n > 65535 {
			k.fail("admin.listen", fmt.Sprintf("cần dạng host:port, ví dụ 127.0.0.1:9464; nhận được %q", c.Admin.Listen),
				fmt.Sprintf("must be host:port, e.g. 127.0.0.1:9464; got %q", c.Admin.Listen))
		}
	}

	// mapping, and its agreement with the source
	for _, err := range c.Mapping.Validate() {
		if p := errorPath("mapping", err); !k.blocked(p) {
			ps.addError("mapping", err)
		}
	}
	c.validateStreams(k)
}

// validateStreams checks that stream names are unique across the sources
// (a stream's cursor and mapping are kept by name alone) and that every
// mapped stream is served by a source.
func (c *Config) validateStreams(k *checker) {
	if len(c.AllSources()) == 0 {
		return // source.type is reported missing
	}
	owners, dups, complete := c.streamOwners()
	for _, d := range dups {
		k.fail(d.again+".streams."+d.stream,
			fmt.Sprintf("luồng %q đã có ở %s; tên luồng phải khác nhau giữa các nguồn", d.stream, d.first),
			fmt.Sprintf("stream %q is already served by %s; stream names must be unique across sources", d.stream, d.first))
	}
	if !complete {
		return // a source that cannot list its streams may serve any of them
	}
	names := sortedKeys(owners)
	list := strings.Join(names, ", ")
	single := len(c.AllSources()) == 1
	for _, name := range sortedKeys(c.Mapping.Streams) {
		if _, ok := owners[name]; ok {
			continue
		}
		path := "mapping.streams." + name
		hint := suggest(name, names)
		switch {
		case single && hint != "":
			k.fail(path, fmt.Sprintf("nguồn không có luồng %q (có phải %s?)", name, hint),
				fmt.Sprintf("the source has no stream %q (did you mean %s?)", name, hint))
		case single:
			k.fail(path, fmt.Sprintf("nguồn không có luồng %q (các luồng: %s)", name, list),
				fmt.Sprintf("the source has no stream %q (its streams: %s)", name, list))
		case hint != "":
			k.fail(path, fmt.Sprintf("không nguồn nào có luồng %q (có phải %s?)", name, hint),
				fmt.Sprintf("no source has stream %q (did you mean %s?)", name, hint))
		default:
			k.fail(path, fmt.Sprintf("không nguồn nào có luồng %q (các luồng: %s)", name, list),
				fmt.Sprintf("no source has stream %q (their streams: %s)", name, list))
		}
	}
}

func (c *Config) validateSource(k *checker) {
	for _, ns := range c.AllSources() {
		v, ok := ns.Settings.(connectors.Validator)
		if !ok || ns.Settings == nil {
			continue
		}
		for _, err := range v.Validate() {
			err = SourceError(ns.Path, err)
			if p := errorPath(ns.Path, err); !k.blocked(p) {
				k.ps.addError(ns.Path, err)
			}
		}
	}
}

// errorPath is the key path addError would file err under.
func errorPath(section string, err error) string {
	ps := &problems{}
	ps.addError(section, err)
	return ps.list[0].Path
}

func (c *Config) validateLGSP(k *checker) {
	l := c.LGSP
	if k.required("lgsp.base_url", l.BaseURL) {
		k.endpointURL("lgsp.base_url", l.BaseURL, l.InsecureSkipVerify)
	}
	if l.TokenURL != "" && !strings.HasPrefix(l.TokenURL, "/") {
		k.endpointURL("lgsp.token_url", l.TokenURL, l.InsecureSkipVerify)
	}
	k.oneOf("lgsp.token_auth", l.TokenAuth, []string{lgsp.TokenAuthBasic, lgsp.TokenAuthForm, lgsp.TokenAuthNone})
	if l.TokenAuth != lgsp.TokenAuthNone {
		k.required("lgsp.client_id", l.ClientID)
		if l.ClientSecret == "" {
			k.fail("lgsp.client_secret", "bắt buộc; nên đặt qua biến môi trường "+envVar("lgsp.client_secret"),
				"required; better set it in the environment variable "+envVar("lgsp.client_secret"))
		}
	}
	if (l.ClientCert == "") != (l.ClientKey == "") {
		missing := "lgsp.client_key"
		if l.ClientCert == "" {
			missing = "lgsp.client_cert"
		}
		k.fail(missing, "bắt buộc khi dùng mTLS (client_cert và client_key đi cùng nhau)", "required for mTLS (client_cert and client_key go together)")
	}
	k.file("lgsp.ca_file", l.CAFile)
	k.file("lgsp.client_cert", l.ClientCert)
	k.file("lgsp.client_key", l.ClientKey)
	k.durationRange("lgsp.timeout", l.Timeout, time.Second, 10*time.Minute)
	k.intRange("lgsp.quick_retries", l.QuickRetries, 0, 10)
	k.oneOf("lgsp.profile", l.Profile, profiles)
	if k.required("lgsp.receiver", l.Receiver) && !agencyIDRE.MatchString(l.Receiver) {
		k.fail("lgsp.receiver",
			fmt.Sprintf("mã định danh đơn vị nhận phải có dạng ddd.dd.dd.Xdd, ví dụ 000.00.00.H29; nhận được %q", l.Receiver),
			fmt.Sprintf("receiving agency identifier must look like ddd.dd.dd.Xdd, e.g. 000.00.00.H29; got %q", l.Receiver))
	}
	for _, kind := range sortedKeys(l.Endpoints) {
		path := "lgsp.endpoints." + kind
		if !slices.Contains(packetKinds, kind) {
			if s := suggest(kind, packetKinds); s != "" {
				k.fail(path, "loại gói tin không hợp lệ (có phải "+s+"?)", "unknown packet kind (did you mean "+s+"?)")
			} else {
				list := strings.Join(packetKinds, ", ")
				k.fail(path, "loại gói tin không hợp lệ (các loại: "+list+")", "unknown packet kind (kinds: "+list+")")
			}
			continue
		}
		switch ep := l.Endpoints[kind]; {
		case ep == "":
			k.fail(path, "bắt buộc", "required")
		case strings.HasPrefix(ep, "/"):
		default:
			k.endpointURL(path, ep, l.InsecureSkipVerify)
		}
	}
	for _, name := range sortedKeys(l.Headers) {
		path := "lgsp.headers." + name
		if !headerNameRE.MatchString(name) {
			k.fail(path, "tên header không hợp lệ", "invalid header name")
		}
		if strings.ContainsAny(l.Headers[name], "\r\n") {
			k.fail(path, "giá trị header không được xuống dòng", "header value must not contain line breaks")
		}
	}
}

func (c *Config) validateSigning(k *checker) {
	s := c.Signing
	pem := s.CertFile != "" || s.KeyFile != ""
	p12 := s.PKCS12File != ""
	switch {
	case pem && p12:
		k.fail("signing", "chọn một: cert_file + key_file, hoặc pkcs12_file", "choose one: cert_file + key_file, or pkcs12_file")
	case pem:
		k.required("signing.cert_file", s.CertFile)
		k.required("signing.key_file", s.KeyFile)
	case !p12 && c.LGSP.Profile == "hcm-lgsp":
		// The dvcqg profile sends unsigned JSON; hcm-lgsp packets are signed.
		k.fail("signing", "cần cert_file và key_file, hoặc pkcs12_file (hồ sơ hcm-lgsp ký mọi gói tin)",
			"needs cert_file and key_file, or pkcs12_file (the hcm-lgsp profile signs every packet)")
	}
	k.file("signing.cert_file", s.CertFile)
	k.file("signing.key_file", s.KeyFile)
	k.file("signing.pkcs12_file", s.PKCS12File)
	if _, err := signing.ParseAlgorithm(s.Algorithm); err != nil {
		k.oneOf("signing.algorithm", s.Algorithm, signing.AlgorithmNames())
	}
}
