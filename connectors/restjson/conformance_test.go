package restjson

import (
	"testing"

	"github.com/hcmc-lgsp/lgsp-connector/connectors"
	"github.com/hcmc-lgsp/lgsp-connector/connectors/connectortest"
)

// The conformance kit on every paging style, with numeric and text keys,
// one of them over TLS with the vendor's CA configured.
func TestConformance(t *testing.T) {
	for _, mode := range []string{"cursor", "page", "next_token", "next_url"} {
		t.Run(mode+", int keys", func(t *testing.T) {
			connectortest.RunSourceTests(t, kitHarness(mode, true, false))
		})
		t.Run(mode+", string keys", func(t *testing.T) {
			connectortest.RunSourceTests(t, kitHarness(mode, false, false))
		})
	}
	t.Run("cursor over TLS", func(t *testing.T) {
		connectortest.RunSourceTests(t, kitHarness("cursor", true, true))
	})
}

// kitHarness gives every kit case its own fake API. Pages are small (4
// items) so that the kit's reads span several pages.
func kitHarness(mode string, numeric, useTLS bool) connectortest.Harness {
	keyType := KeyString
	if numeric {
		keyType = KeyInt
	}
	return connectortest.Harness{
		NumericKeys: numeric,
		Setup: func(t *testing.T) connectortest.Fixture {
			api := &vendorAPI{mode: mode, numeric: numeric}
			sc := ratingsStream(mode, keyType)
			sc.PageSize = 4
			var cfg *Config
			if useTLS {
				srv, ca := startTLSAPI(t, api)
				cfg = apiConfig(srv.URL, sc)
				cfg.TLS.CAFile = ca
			} else {
				cfg = apiConfig(startAPI(t, api).URL, sc)
			}
			return connectortest.Fixture{
				Stream: "danh_gia",
				NewSource: func(t *testing.T) connectors.Source {
					return newSource(t, cfg, fixedNow(farFuture))
				},
				Insert: func(t *testing.T, rows ...connectortest.Row) {
					for _, r := range rows {
						api.add(api.rating(r.Key, r.Updated))
					}
				},
			}
		},
	}
}
