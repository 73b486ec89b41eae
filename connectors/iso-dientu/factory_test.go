package isodientu

import (
	"strings"
	"testing"

	"github.com/go-viper/mapstructure/v2"
	"github.com/hcmc-lgsp/lgsp-connector/connectors"
)

func TestFactoryRegistered(t *testing.T) {
	f, ok := connectors.Lookup("iso_dientu")
	if !ok {
		t.Fatalf("iso_dientu not registered (have %v)", connectors.Types())
	}
	cfg, ok := f.CreateDefaultConfig().(*Config)
	if !ok || cfg.Timezone != DefaultTimezone || cfg.MaxOpenConns != DefaultMaxOpenConns {
		t.Fatalf("CreateDefaultConfig() = %#v", f.CreateDefaultConfig())
	}
	if _, err := f.CreateSource(connectors.Settings{}, Config{}); err == nil || !strings.Contains(err.Error(), "*isodientu.Config") {
		t.Errorf("CreateSource with a non-pointer config: %v", err)
	}
	if _, err := f.CreateSource(connectors.Settings{}, cfg); err == nil || !strings.Contains(err.Error(), "source.dsn") {
		t.Errorf("CreateSource with an empty config: %v; want the validation errors", err)
	}
	cfg.DSN = "/tmp/legacy.db"
	cfg.Driver = DriverSQLite
	cfg.Streams = map[string]StreamConfig{
		"qua_trinh_xu_ly": {Query: "SELECT 1", Cursor: CursorConfig{Updated: "u", Key: "k"}},
		"ho_so":           {Query: "SELECT 1", Cursor: CursorConfig{Updated: "u", Key: "k"}},
	}
	src, err := f.CreateSource(connectors.Settings{}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if got := src.Streams(); len(got) != 2 || got[0] != "ho_so" {
		t.Errorf("Streams() = %v, want ho_so first", got)
	}
	if _, ok := src.(connectors.Checker); !ok {
		t.Error("source does not offer Check to the doctor")
	}
}

// Every field has a mapstructure tag: strict decoding rejects a misspelt
// key instead of ignoring it.
func TestStrictDecodingRejectsUnknownKeys(t *testing.T) {
	cfg := NewDefaultConfig()
	dec, err := mapstructure.NewDecoder(&mapstructure.DecoderConfig{Result: cfg, ErrorUnused: true})
	if err != nil {
		t.Fatal(err)
	}
	err = dec.Decode(map[string]any{"streams": map[string]any{"ho_so": map[string]any{
		"query": "SELECT 1", "cursor": map[string]any{"updated": "u", "key": "k", "keytype": "int"},
	}}})
	if err == nil || !strings.Contains(err.Error(), "keytype") {
		t.Errorf("misspelt key accepted: %v", err)
	}
}
