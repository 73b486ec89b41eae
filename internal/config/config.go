// Package config loads the connector's YAML configuration file, overlays
// LGSP_* environment variables, checks everything, and returns a typed
// Config. Every problem is reported at once, with its key path, in
// Vietnamese and English, because the people who fill the file in are
// ward IT staff, not Go programmers:
//
//	lgsp.base_url: bắt buộc / required
//	lgsp.clientid: khóa không hợp lệ (có phải client_id?) / unknown key (did you mean client_id?)
//
// Unknown keys are errors. Every known key has a default, so any of them
// can be set from the environment alone: the variable is LGSP_ followed by
// the key path in upper case with '.' as '_' (LGSP_LGSP_CLIENT_SECRET,
// LGSP_SOURCE_DSN, LGSP_DELIVERY_WORKERS).
//
// Why the YAML is read here and not by viper: viper lower-cases every key
// and splits keys on dots, and this file has keys that are data — packet
// field names (MaHoSo), legacy values in code tables (DA_TIEP_NHAN, "1.5"),
// endpoint kinds (HoSo) — whose case and dots matter. So the file is parsed
// with yaml.v3, keeping case and line numbers, and one viper instance
// (never the global) supplies the environment overlay, for the keys this
// package knows.
package config

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/hcmc-lgsp/lgsp-connector/connectors"
	"github.com/hcmc-lgsp/lgsp-connector/mapping"
	"github.com/hcmc-lgsp/lgsp-connector/packets"
	"github.com/hcmc-lgsp/lgsp-connector/stats"
)

// Secret is a configuration value that must never be printed (see
// connectors.Secret, which connector configs share).
type Secret = connectors.Secret

const redacted = connectors.Redacted

// Config is the whole configuration. Load returns a fresh one each time;
// treat it as read-only (share it, do not modify it).
type Config struct {
	Unit   Unit   `mapstructure:"unit"`
	Source Source `mapstructure:"source"`
	// Sources are further sources by name (a survey kiosk's database, a
	// vendor's HTTP API), each a section like Source; nil unless the file
	// has a sources: section. See AllSources.
	Sources    map[string]Source `mapstructure:"sources"`
	Mapping    mapping.Config    `mapstructure:"mapping"`
	LGSP       LGSP              `mapstructure:"lgsp"`
	Signing    Signing           `mapstructure:"signing"`
	Store      Store             `mapstructure:"store"`
	Delivery   Delivery          `mapstructure:"delivery"`
	Schedule   Schedule          `mapstructure:"schedule"`
	Validation Validation        `mapstructure:"validation"`
	Log        Log               `mapstructure:"log"`
	Admin      Admin             `mapstructure:"admin"`
	Inbound    Inbound           `mapstructure:"inbound"`
	// Catalogs is nil unless the file has a catalogs: section.
	Catalogs *Catalogs `mapstructure:"catalogs"`
	DVCQG    DVCQG     `mapstructure:"dvcqg"`
	// Statistics are the monthly DongBoThongKeHoSo figures (docs/statistics.md).
	Statistics stats.Config `mapstructure:"statistics"`
	// Ratings are the satisfaction reports and the monthly DongBoDanhGia
	// summary (docs/ratings.md).
	Ratings Ratings `mapstructure:"ratings"`
}

// Unit is the administrative unit this installation sends for.
type Unit struct {
	// Code is the unit's agency identifier (mã định danh, QCVN 102:2016),
	// e.g. 000.00.12.H29. It becomes MaDonViGui.
	Code string `mapstructure:"code"`
	Name string `mapstructure:"name"`
}

// Source is the `source:` section, or one entry of `sources:`: the
// connector type and its own settings, decoded into the connector's
// default config.
type Source struct {
	// Type is the registered connector name, e.g. iso_dientu.
	Type string `mapstructure:"type"`
	// Settings is the pointer returned by the factory's
	// CreateDefaultConfig, filled from the rest of the section. Pass it to
	// the factory's CreateSource.
	Settings any `mapstructure:"-"`
}

// LGSP is how to reach the city's integration platform.
type LGSP struct {
	BaseURL string `mapstructure:"base_url"`
	// TokenURL is absolute or a path relative to BaseURL.
	TokenURL     string `mapstructure:"token_url"`
	ClientID     string `mapstructure:"client_id"`
	ClientSecret Secret `mapstructure:"client_secret"`
	// TokenAuth is how the client credentials are sent: basic, form or none.
	TokenAuth          string        `mapstructure:"token_auth"`
	CAFile             string        `mapstructure:"ca_file"`
	ClientCert         string        `mapstructure:"client_cert"`
	ClientKey          string        `mapstructure:"client_key"`
	InsecureSkipVerify bool          `mapstructure:"insecure_skip_verify"`
	Timeout            time.Duration `mapstructure:"timeout"`
	// QuickRetries is the number of retries inside one send; long-term
	// retries belong to the outbox.
	QuickRetries int `mapstructure:"quick_retries"`
	// Profile is the wire format: hcm-lgsp or dvcqg.
	Profile string `mapstructure:"profile"`
	// Receiver is MaDonViNhan, the receiving unit's agency identifier.
	Receiver string `mapstructure:"receiver"`
	// Endpoints maps a packet kind (HoSo, TienDoXuLy …) to its path.
	Endpoints map[string]string `mapstructure:"endpoints"`
	// Headers are static extra HTTP headers (e.g. dstcode).
	Headers map[string]string `mapstructure:"headers"`
}

// Signing is the key packets are signed with: a PEM certificate and key,
// or a PKCS#12 file.
type Signing struct {
	CertFile   string `mapstructure:"cert_file"`
	KeyFile    string `mapstructure:"key_file"`
	PKCS12File string `mapstructure:"pkcs12_file"`
	Passphrase Secret `mapstructure:"passphrase"`
	// Algorithm is rsa-sha256 (default), rsa-sha512 or rsa-sha1; or, only
	// for a receiver that accepts ECDSA, ecdsa-sha256 (EC P-256 key) or
	// ecdsa-sha384 (EC P-384 key). The key must fit the algorithm.
	Algorithm string `mapstructure:"algorithm"`
}

// Store is the embedded outbox and delivery log.
type Store struct {
	Path string `mapstructure:"path"`
	// Retention is how long delivered packets and their log are kept.
	Retention time.Duration `mapstructure:"retention"`
}

// Delivery tunes the delivery workers and the outbox's long-term retries.
type Delivery struct {
	Workers     int           `mapstructure:"workers"`
	Lease       time.Duration `mapstructure:"lease"`
	MaxAttempts int           `mapstructure:"max_attempts"`
	BackoffBase time.Duration `mapstructure:"backoff_base"`
	BackoffMax  time.Duration `mapstructure:"backoff_max"`
}

// Schedule is when the source is polled, and in which zone cron specs are
// read.
type Schedule struct {
	Poll     string `mapstructure:"poll"`
	Timezone string `mapstructure:"timezone"`
}

// Validation sets how strictly packets are checked.
type Validation struct {
	// MaHoSoPolicy is what to do with dossier codes that break the
	// Circular 01/2018 format: warn, reject or substitute.
	MaHoSoPolicy string `mapstructure:"mahoso_policy"`
}

// Log configures the process log.
type Log struct {
	Level  string `mapstructure:"level"`
	Format string `mapstructure:"format"`
	// MaskKeys are extra keys (legacy column names) whose values are
	// personal data, added to the built-in list.
	MaskKeys []string `mapstructure:"mask_keys"`
}

// Admin is the local admin server (health, metrics, dashboard).
type Admin struct {
	// Listen is host:port; empty disables the server.
	Listen string `mapstructure:"listen"`
}

// defaults returns a Config holding every default. Keys without a
// meaningful default (unit.code, lgsp.base_url …) are empty, which
// validation reports as missing.
func defaults() *Config {
	return &Config{
		LGSP: LGSP{
			TokenURL:     "/token",
			TokenAuth:    "basic",
			Timeout:      30 * time.Second,
			QuickRetries: 2,
			Profile:      "hcm-lgsp",
			Receiver:     "000.00.00.H29",
			Endpoints: map[string]string{
				string(packets.KindDossier):  "/kho-du-lieu/1.0/ho-so",
				string(packets.KindProgress): "/kho-du-lieu/1.0/tien-do-xu-ly",
				string(packets.KindRating):   "/kho-du-lieu/1.0/danh-gia",
				string(packets.KindStats):    "/kho-du-lieu/1.0/thong-ke",
			},
		},
		Signing:    Signing{Algorithm: "rsa-sha256"},
		Store:      Store{Path: "lgsp-connector.db", Retention: 90 * 24 * time.Hour},
		Delivery:   Delivery{Workers: 4, Lease: 2 * time.Minute, MaxAttempts: 50, BackoffBase: 5 * time.Second, BackoffMax: time.Hour},
		Schedule:   Schedule{Poll: "@every 30s", Timezone: "Asia/Ho_Chi_Minh"},
		Validation: Validation{MaHoSoPolicy: "warn"},
		Log:        Log{Level: "info", Format: "text"},
		Admin:      Admin{Listen: "127.0.0.1:9464"},
		Inbound:    defaultInbound(),
		DVCQG:      defaultDVCQG(),
		Statistics: stats.DefaultConfig(),
		Ratings:    defaultRatings(),
	}
}

// LoadOptions adjust loading.
type LoadOptions struct {
	// IgnoreEnv skips the LGSP_* environment overlay: the file alone.
	IgnoreEnv bool
	// SkipFileChecks does not require the files the configuration names
	// (certificates, keys, the store's directory) to exist; for checking a
	// sample configuration on a machine that is not the installation.
	SkipFileChecks bool
}

// Load reads the configuration file at path. Relative file paths in it are
// resolved against the file's directory. A configuration with problems
// gives a *ValidationErrors listing all of them.
func Load(path string, o LoadOptions) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("không đọc được tệp cấu hình / cannot read config file: %w", err)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		abs = path
	}
	cfg, err := load(data, filepath.Dir(abs), path, o)
	if err != nil {
		return nil, err
	}
	return cfg, nil
}

// LoadBytes loads a configuration held in memory; relative file paths are
// resolved against baseDir.
func LoadBytes(yaml []byte, baseDir string, o LoadOptions) (*Config, error) {
	return load(yaml, baseDir, "", o)
}

func load(data []byte, baseDir, file string, o LoadOptions) (*Config, error) {
	ps := &problems{lines: map[string]int{}, env: map[string]string{}, suggested: map[string]bool{}}
	tree, err := parseYAML(data, ps)
	if err != nil {
		return nil, &ValidationErrors{File: file, Problems: []Problem{yamlProblem(err)}}
	}
	cfg := defaults()
	env := newEnvOverlay(!o.IgnoreEnv)
	env.apply(tree, configLeaves(), ps)

	decodeSource(cfg, tree, env, ps)
	decodeSources(cfg, tree, env, ps)
	decodeMapping(cfg, tree, ps)
	rest := make(map[string]any, len(tree))
	for k, v := range tree {
		if k != "source" && k != "sources" && k != "mapping" {
			rest[k] = v
		}
	}
	(&decoder{ps: ps}).decode("", rest, reflectValue(cfg))

	cfg.resolvePaths(baseDir)
	cfg.Catalogs.complete(cfg, baseDir)
	cfg.validate(ps, o)
	if err := ps.result(file); err != nil {
		return nil, err
	}
	return cfg, nil
}
