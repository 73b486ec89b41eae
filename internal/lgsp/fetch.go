package lgsp

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"time"
)

// DefaultGetLimit bounds the body Get reads when the caller gives no
// limit: a city catalog of every official is a few megabytes.
const DefaultGetLimit = 64 << 20

// Get reads a resource from LGSP (a shared catalog, say) with the same
// token, TLS, static headers and quick retries as Send, and returns its
// body, at most limit bytes (DefaultGetLimit when limit ≤ 0). The Result
// classifies the outcome exactly as for Send — a 200 whose JSON body
// carries a non-zero error_code is ClassPermanent — and its Err is nil
// only for ClassDelivered, when the body is complete.
func (c *Client) Get(ctx context.Context, path string, limit int64) ([]byte, Result) {
	start := time.Now()
	if limit <= 0 {
		limit = DefaultGetLimit
	}
	endpoint, err := c.resolve(path)
	if err != nil {
		return nil, Result{Class: ClassPermanent, Err: fmt.Errorf("lgsp get: %w", err)}
	}
	var token string
	if c.opts.TokenAuth != TokenAuthNone {
		g, err := c.tokens.get(ctx, false, "")
		if err != nil {
			return nil, tokenFailure(endpoint, err)
		}
		token = g.value
	}
	body, res := c.getOnce(ctx, endpoint, token, limit)
	if res.authFailure && token != "" {
		g, err := c.tokens.get(ctx, false, token)
		if err != nil {
			out := tokenFailure(endpoint, err)
			out.Attempts = res.Attempts
			return nil, out
		}
		attempts := res.Attempts
		body, res = c.getOnce(ctx, endpoint, g.value, limit)
		res.Attempts += attempts
	}
	res.Latency = time.Since(start)
	c.log.Debug("lgsp get", "endpoint", endpoint, "status", res.Status, "class", res.Class.String(),
		"attempts", res.Attempts, "bytes", len(body), "latency", res.Latency)
	if res.Class != ClassDelivered {
		return nil, res.Result
	}
	return body, res.Result
}

func (c *Client) getOnce(ctx context.Context, endpoint, token string, limit int64) ([]byte, attemptResult) {
	var attempts atomic.Int32
	ctx = context.WithValue(ctx, attemptsKey{}, &attempts)
	res := attemptResult{Result: Result{Endpoint: endpoint}}
	req, err := c.newRequest(ctx, http.MethodGet, endpoint, nil)
	if err != nil {
		res.Class, res.Err = ClassPermanent, fmt.Errorf("lgsp get %s: build request: %w", endpoint, err)
		return nil, res
	}
	req.Header.Set("Accept", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, doErr := c.retry.Do(req)
	res.Attempts = int(attempts.Load())
	if doErr != nil {
		if resp != nil {
			resp.Body.Close()
		}
		res.Class, _ = classify(c.opts.Now(), 0, nil, nil, doErr)
		res.Err = fmt.Errorf("lgsp get %s: %w", endpoint, doErr)
		if res.Class == ClassPermanent {
			res.Err = fmt.Errorf("%w (TLS: check ca_file, client certificate and the server name): %w", ErrConfig, res.Err)
		}
		return nil, res
	}
	defer resp.Body.Close()
	body, readErr := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	res.Status = resp.StatusCode
	res.Excerpt = excerpt(body, token, c.opts.ClientSecret)
	if readErr != nil {
		res.Class = ClassTransient
		res.Err = fmt.Errorf("lgsp get %s: read %d response: %w", endpoint, resp.StatusCode, readErr)
		return nil, res
	}
	res.Class, res.RetryAfter = classify(c.opts.Now(), resp.StatusCode, resp.Header, body, nil)
	res.authFailure = isAuthFailure(resp.StatusCode, body)
	if res.Class != ClassDelivered {
		res.Err = fmt.Errorf("lgsp get %s: HTTP %d (%s): %s", endpoint, resp.StatusCode, res.Class, strings.TrimSpace(excerpt([]byte(shortExcerpt(res.Excerpt)))))
		if resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden {
			res.Err = fmt.Errorf("%w: LGSP refused our credentials for %s; check client_id, client_secret and the client's subscription to this API: %w", ErrConfig, endpoint, res.Err)
		}
		return nil, res
	}
	if int64(len(body)) > limit {
		res.Class = ClassPermanent
		res.Err = fmt.Errorf("lgsp get %s: the response is larger than %d bytes; is the path right?", endpoint, limit)
		return nil, res
	}
	return body, res
}

func shortExcerpt(s string) string {
	if len(s) > 200 {
		return s[:200]
	}
	return s
}
