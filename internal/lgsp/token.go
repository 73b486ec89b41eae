package lgsp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// defaultTokenTTL is assumed when the token endpoint omits expires_in: short
// enough that a token revoked behind our back is replaced soon.
const defaultTokenTTL = 5 * time.Minute

// tokenError carries the delivery class of a failed token fetch, so Send
// can report "LGSP throttles the token endpoint" differently from
// "LGSP rejects our credentials".
type tokenError struct {
	class Class
	wait  time.Duration
	err   error
}

func (e *tokenError) Error() string { return e.err.Error() }
func (e *tokenError) Unwrap() error { return e.err }

// tokenGrant is one issued token.
type tokenGrant struct {
	value     string
	expiresAt time.Time
	refreshAt time.Time
}

// tokenCall is a fetch in flight; every caller that needs a token while it
// runs waits for the same result.
type tokenCall struct {
	done  chan struct{}
	grant tokenGrant
	err   error
}

// tokenSource caches the OAuth2 client-credentials token. Only one fetch
// runs at a time; it runs detached from any caller's context so that one
// caller giving up does not fail the others.
type tokenSource struct {
	fetch        func(ctx context.Context) (tokenGrant, error)
	fetchTimeout time.Duration
	now          func() time.Time

	mu       sync.Mutex
	cur      tokenGrant
	inflight *tokenCall

	fetches atomic.Int64 // fetches started; for tests and doctor
	joined  atomic.Int64 // callers that waited on another caller's fetch
}

// get returns a usable token. force starts a new fetch even when the cached
// token is fresh (Token, for doctor). stale, when non-empty, is a token the
// server just refused: it is dropped unless another caller already
// replaced it.
func (s *tokenSource) get(ctx context.Context, force bool, stale string) (tokenGrant, error) {
	s.mu.Lock()
	if stale != "" && s.cur.value == stale {
		s.cur = tokenGrant{}
	}
	now := s.now()
	if !force && s.cur.value != "" && now.Before(s.cur.refreshAt) {
		g := s.cur
		s.mu.Unlock()
		return g, nil
	}
	call := s.inflight
	if call == nil {
		call = &tokenCall{done: make(chan struct{})}
		s.inflight = call
		s.fetches.Add(1)
		go s.run(call)
	} else {
		s.joined.Add(1)
	}
	// A token past its refresh point but not yet expired still works if
	// the refresh fails.
	fallback := s.cur
	s.mu.Unlock()

	select {
	case <-call.done:
	case <-ctx.Done():
		return tokenGrant{}, fmt.Errorf("wait for LGSP access token: %w", ctx.Err())
	}
	if call.err != nil {
		if !force && fallback.value != "" && s.now().Before(fallback.expiresAt) {
			return fallback, nil
		}
		return tokenGrant{}, call.err
	}
	return call.grant, nil
}

func (s *tokenSource) run(call *tokenCall) {
	ctx, cancel := context.WithTimeout(context.Background(), s.fetchTimeout)
	defer cancel()
	g, err := s.fetch(ctx)
	s.mu.Lock()
	if err == nil {
		s.cur = g
	}
	s.inflight = nil
	s.mu.Unlock()
	call.grant, call.err = g, err
	close(call.done)
}

// refreshPoint returns when a token issued at now with lifetime ttl should
// be replaced: at 80% of its life or 60 s before expiry, whichever is
// earlier. WSO2 hands out the same cached token until it expires, so a
// fresh-looking grant may have only seconds left (wso2/api-manager#773).
func refreshPoint(now time.Time, ttl time.Duration) time.Time {
	lead := ttl * 8 / 10
	if alt := ttl - time.Minute; alt < lead {
		lead = alt
	}
	if lead < 0 {
		lead = 0
	}
	return now.Add(lead)
}

// tokenResponse is the OAuth2 token endpoint reply (RFC 6749 §5.1).
type tokenResponse struct {
	AccessToken string          `json:"access_token"`
	TokenType   string          `json:"token_type"`
	ExpiresIn   json.RawMessage `json:"expires_in"`
	Scope       string          `json:"scope"`
}

// parseTokenResponse reads a token reply. expires_in may be a number or a
// numeric string; absent or zero means defaultTokenTTL.
func parseTokenResponse(body []byte, now time.Time) (tokenGrant, error) {
	var tr tokenResponse
	if err := json.Unmarshal(body, &tr); err != nil {
		return tokenGrant{}, fmt.Errorf("token reply is not the expected JSON object: %w", err)
	}
	if tr.AccessToken == "" {
		return tokenGrant{}, errors.New("token reply has no access_token")
	}
	if strings.ContainsAny(tr.AccessToken, " \t\r\n") {
		return tokenGrant{}, errors.New("token reply has an access_token with whitespace, which cannot travel in a header")
	}
	if tt := strings.ToLower(tr.TokenType); tt != "" && tt != "bearer" {
		return tokenGrant{}, fmt.Errorf("token reply has token_type %q; only Bearer tokens are supported", tr.TokenType)
	}
	ttl := defaultTokenTTL
	if raw := strings.Trim(strings.TrimSpace(string(tr.ExpiresIn)), `"`); raw != "" && raw != "null" {
		secs, err := strconv.ParseFloat(raw, 64)
		if err != nil || secs < 0 || secs > 10*365*24*3600 {
			return tokenGrant{}, fmt.Errorf("token reply has expires_in %q; want a number of seconds", raw)
		}
		if secs > 0 {
			ttl = time.Duration(secs * float64(time.Second))
		}
	}
	return tokenGrant{
		value:     tr.AccessToken,
		expiresAt: now.Add(ttl),
		refreshAt: refreshPoint(now, ttl),
	}, nil
}

// fetchToken asks the token endpoint for a client-credentials token.
func (c *Client) fetchToken(ctx context.Context) (tokenGrant, error) {
	form := url.Values{"grant_type": {"client_credentials"}}
	if c.opts.TokenAuth == TokenAuthForm {
		form.Set("client_id", c.opts.ClientID)
		form.Set("client_secret", c.opts.ClientSecret)
	}
	req, err := c.newRequest(ctx, http.MethodPost, c.tokenURL, []byte(form.Encode()))
	if err != nil {
		return tokenGrant{}, &tokenError{class: ClassPermanent, err: fmt.Errorf("build token request for %s: %w", c.tokenURL, err)}
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	if c.opts.TokenAuth == TokenAuthBasic {
		req.SetBasicAuth(c.opts.ClientID, c.opts.ClientSecret)
	}
	requested := c.opts.Now()
	resp, err := c.retry.Do(req)
	if err != nil {
		class, _ := classify(c.opts.Now(), 0, nil, nil, err)
		if class == ClassPermanent {
			err = fmt.Errorf("%w: %w", ErrConfig, err)
		}
		return tokenGrant{}, &tokenError{class: class, err: fmt.Errorf("get LGSP access token from %s: %w", c.tokenURL, err)}
	}
	body, readErr := readBody(resp)
	if readErr != nil {
		return tokenGrant{}, &tokenError{class: ClassTransient, err: fmt.Errorf("read token reply from %s: %w", c.tokenURL, readErr)}
	}
	if resp.StatusCode == http.StatusOK {
		g, err := parseTokenResponse(body, requested)
		if err != nil {
			// The body may hold a token: never quote it.
			return tokenGrant{}, &tokenError{class: ClassTransient, err: fmt.Errorf("token endpoint %s: %w", c.tokenURL, err)}
		}
		return g, nil
	}
	class, wait := classify(c.opts.Now(), resp.StatusCode, resp.Header, body, nil)
	msg := fmt.Errorf("token endpoint %s answered %d: %s", c.tokenURL, resp.StatusCode, excerpt(body, c.opts.ClientSecret))
	switch {
	case resp.StatusCode == http.StatusBadRequest || resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		msg = fmt.Errorf("%w: LGSP refused the client credentials; check client_id, client_secret and token auth %q: %w", ErrConfig, c.opts.TokenAuth, msg)
		class = ClassPermanent
	case class == ClassDelivered:
		class = ClassTransient
	}
	return tokenGrant{}, &tokenError{class: class, wait: wait, err: msg}
}

// Token forces a token fetch (joining one already in flight) and returns
// when the new token expires. For doctor-style checks.
func (c *Client) Token(ctx context.Context) (expiresAt time.Time, err error) {
	if c.opts.TokenAuth == TokenAuthNone {
		return time.Time{}, errors.New("lgsp token auth is \"none\": there is no token to fetch")
	}
	g, err := c.tokens.get(ctx, true, "")
	if err != nil {
		return time.Time{}, err
	}
	return g.expiresAt, nil
}
