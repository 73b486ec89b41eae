package config

import (
	"errors"
	"regexp"
	"sort"
	"time"

	"github.com/hcmc-lgsp/lgsp-connector/connectors"
)

// fakeFactory is a tiny connector registered for these tests only, so the
// config package is tested without the real iso_dientu connector.
type fakeFactory struct{}

func init() { connectors.Register(fakeFactory{}) }

func (fakeFactory) Type() string { return "fake" }

func (fakeFactory) CreateDefaultConfig() any {
	return &fakeConfig{Timeout: 30 * time.Second, Driver: "mysql"}
}

func (fakeFactory) CreateSource(connectors.Settings, any) (connectors.Source, error) {
	return nil, errors.New("fake connector builds no source")
}

type fakeConfig struct {
	Driver   string        `mapstructure:"driver"`
	DSN      fakeDSN       `mapstructure:"dsn"`
	Password string        `mapstructure:"password"`
	ConnStr  string        `mapstructure:"connection_string"`
	Timeout  time.Duration `mapstructure:"timeout"`
	// Lag is a pointer so "not set" differs from 0s, as in iso_dientu.
	Lag     *time.Duration        `mapstructure:"lag"`
	Streams map[string]fakeStream `mapstructure:"streams"`
}

type fakeStream struct {
	Query string `mapstructure:"query"`
}

// Validate returns errors in both styles connectors use: with the full
// key path, and relative to the section.
func (c *fakeConfig) Validate() []error {
	var errs []error
	if c.DSN == "" {
		errs = append(errs, errors.New("source.dsn: is required (prefer LGSP_SOURCE_DSN)"))
	}
	if len(c.Streams) == 0 {
		errs = append(errs, errors.New("streams: at least one stream is required"))
	}
	for _, name := range sortedKeys(c.Streams) {
		if c.Streams[name].Query == "" {
			errs = append(errs, errors.New("streams."+name+".query: is required"))
		}
	}
	return errs
}

func (c *fakeConfig) StreamNames() []string {
	names := make([]string, 0, len(c.Streams))
	for n := range c.Streams {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// fakeDSN redacts its password when printed, like isodientu.DSN.
type fakeDSN string

var dsnPassword = regexp.MustCompile(`:[^:@/]*@`)

func (d fakeDSN) String() string { return dsnPassword.ReplaceAllString(string(d), ":xxxxx@") }

var _ connectors.Factory = fakeFactory{}
