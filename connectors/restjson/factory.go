package restjson

import (
	"fmt"

	"github.com/hcmc-lgsp/lgsp-connector/connectors"
)

func init() { connectors.Register(Factory{}) }

// Factory builds rest_json sources; it is registered under TypeName.
type Factory struct{}

// Type returns "rest_json".
func (Factory) Type() string { return TypeName }

// CreateDefaultConfig returns a *Config with every default filled in.
func (Factory) CreateDefaultConfig() any { return NewDefaultConfig() }

// CreateSource validates cfg (a *Config) and builds the source.
func (Factory) CreateSource(settings connectors.Settings, cfg any) (connectors.Source, error) {
	c, ok := cfg.(*Config)
	if !ok {
		return nil, fmt.Errorf("rest_json: config is a %T, want *restjson.Config (from CreateDefaultConfig)", cfg)
	}
	return NewSource(c, settings)
}

var _ connectors.Factory = Factory{}
