package sandbox

import (
	"embed"
	"net/http"
	"sort"
	"sync"
)

// The city's shared catalogs (units, officials, procedures, rating
// criteria), served read-only from fixture files behind the same gateway
// checks as the packet endpoints: an access token, and the outage
// windows. They are not subject to the random error and throttle rates,
// which count packet requests (Stats adds up to Received), and they are
// counted separately (CatalogCalls).

//go:embed catalogdata/*.json
var catalogFixtures embed.FS

// catalogFiles maps each city catalog to its path and fixture file.
var catalogFiles = map[string]struct{ path, file string }{
	"units":           {"/danh-muc/1.0/don-vi", "catalogdata/units.json"},
	"officials":       {"/danh-muc/1.0/can-bo", "catalogdata/officials.json"},
	"procedures":      {"/danh-muc/1.0/thu-tuc", "catalogdata/procedures.json"},
	"rating_criteria": {"/danh-muc/1.0/tieu-chi-danh-gia", "catalogdata/rating_criteria.json"},
}

// CatalogPaths returns the city catalog paths the sandbox serves, by
// catalog name: the catalogs.city section that points a connector at it.
func CatalogPaths() map[string]string {
	out := make(map[string]string, len(catalogFiles))
	for name, f := range catalogFiles {
		out[name] = f.path
	}
	return out
}

// catalogServer counts catalog requests answered with the catalog.
type catalogServer struct {
	mu    sync.Mutex
	calls map[string]int
}

// catalogRoutes registers the catalog endpoints on mux.
func (s *Server) catalogRoutes(mux *http.ServeMux) {
	s.catalogs = &catalogServer{calls: map[string]int{}}
	names := make([]string, 0, len(catalogFiles))
	for name := range catalogFiles {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		f := catalogFiles[name]
		body, err := catalogFixtures.ReadFile(f.file)
		if err != nil {
			panic("sandbox: embedded catalog fixture missing: " + f.file) // a build problem, not a runtime one
		}
		mux.HandleFunc("GET "+f.path, s.handleCatalog(name, body))
	}
	mux.HandleFunc("GET /sandbox/catalogs", s.admin(func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"paths": CatalogPaths(), "calls": s.CatalogCalls()})
	}))
}

func (s *Server) handleCatalog(name string, body []byte) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if s.inOutage(s.now()) {
			writeJSON(w, http.StatusServiceUnavailable, wso2Fault(101503, "Runtime Error", "Error connecting to the back end (sandbox outage)"))
			return
		}
		if present, valid := s.validToken(r); !valid {
			w.Header().Set("WWW-Authenticate", `Bearer realm="LGSP sandbox", error="invalid_token"`)
			code, msg := 900901, "Invalid Credentials"
			if !present {
				code, msg = 900902, "Missing Credentials"
			}
			writeJSON(w, http.StatusUnauthorized, wso2Fault(code, msg, "Access failure for API: a valid access token is required"))
			return
		}
		s.catalogs.mu.Lock()
		s.catalogs.calls[name]++
		s.catalogs.mu.Unlock()
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		_, _ = w.Write(body)
	}
}

// CatalogCalls returns how many times each city catalog was served.
func (s *Server) CatalogCalls() map[string]int {
	s.catalogs.mu.Lock()
	defer s.catalogs.mu.Unlock()
	out := make(map[string]int, len(s.catalogs.calls))
	for k, v := range s.catalogs.calls {
		out[k] = v
	}
	return out
}
