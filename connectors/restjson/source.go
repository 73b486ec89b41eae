// Package restjson is the source for legacy systems that expose an HTTP
// API answering JSON instead of a database: citizen-survey kiosks, mobile
// apps, web forms. Each stream is one endpoint, read incrementally with a
// composite cursor (updated, key) and a lag window, by configuration only;
// see README.md.
package restjson

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-retryablehttp"
	"github.com/hcmc-lgsp/lgsp-connector/connectors"
)

// Source reads the configured streams from a vendor's API. Build it with
// NewSource (or the registered factory); it only reads.
type Source struct {
	cfg     *Config
	base    *url.URL
	loc     *time.Location
	now     func() time.Time
	log     *slog.Logger
	order   []string
	streams map[string]*streamPlan

	headers http.Header // fixed headers, ${ENV} expanded, Authorization included
	// fixedParams are the names of fixed query parameters of any stream,
	// whose values are hidden in messages.
	fixedParams map[string]struct{}
	secrets     []string // expanded secret values, scrubbed from messages
	client      *retryablehttp.Client
	http        *http.Client

	mu      sync.Mutex
	started bool
	closed  bool
}

// streamPlan is a stream's configuration made ready for requests.
type streamPlan struct {
	itemSpec
	name     string
	method   string
	endpoint *url.URL
	query    url.Values // fixed parameters, expanded
	body     string     // POST template
	paging   PagingConfig
	pageSpec pageSpec
	pageSize int
	maxPages int
	lag      time.Duration

	supp suppression
	// warnedMissing is set once the missing-items warning was logged.
	warnedMissing bool
}

// NewSource validates cfg and builds a source. It makes no request; the
// first Read (or Check) does. settings.Now (nil: time.Now) is the clock of
// the lag window.
func NewSource(cfg *Config, settings connectors.Settings) (*Source, error) {
	if cfg == nil {
		return nil, errors.New("rest_json: nil config")
	}
	if err := cfg.validationError(); err != nil {
		return nil, err
	}
	loc, err := time.LoadLocation(cfg.Timezone)
	if err != nil { // validated already
		return nil, fmt.Errorf("timezone: %w", err)
	}
	base, err := url.Parse(strings.TrimRight(cfg.BaseURL, "/"))
	if err != nil {
		return nil, fmt.Errorf("base_url: %w", err)
	}
	s := &Source{
		cfg: cfg, base: base, loc: loc,
		now: settings.Now, log: settings.Logger,
		order:       cfg.streamOrder(),
		streams:     map[string]*streamPlan{},
		headers:     http.Header{},
		fixedParams: map[string]struct{}{},
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	for _, name := range sortedKeys(cfg.Headers) {
		v, _ := expandEnv(cfg.Headers[name].Reveal())
		s.headers.Set(name, v)
		s.addSecret(v)
	}
	if cfg.BearerToken != "" {
		tok, _ := expandEnv(cfg.BearerToken.Reveal())
		s.headers.Set("Authorization", "Bearer "+tok)
		s.addSecret(tok)
	}
	if s.client, s.http, err = newHTTP(cfg, base); err != nil {
		return nil, err
	}
	for _, name := range s.order {
		s.streams[name] = s.compileStream(name, cfg.Streams[name])
	}
	return s, nil
}

func (s *Source) addSecret(v string) {
	// Very short values would mangle messages more than they protect.
	if len(v) >= 4 {
		s.secrets = append(s.secrets, v)
	}
}

func (s *Source) compileStream(name string, sc StreamConfig) *streamPlan {
	endpoint, _ := url.Parse(s.base.String() + sc.Path) // validated
	sp := &streamPlan{
		itemSpec: itemSpec{
			stream: name, items: sc.Items,
			key: splitPath(sc.Key), keyName: sc.Key, keyType: sc.keyType(),
			upd: splitPath(sc.Updated), updName: sc.Updated,
			formats: compileFormats(sc.updatedFormats()), loc: s.loc,
		},
		name: name, method: sc.method(), endpoint: endpoint,
		query: url.Values{}, body: sc.Body, paging: sc.Paging,
		pageSpec: pageSpec{items: splitPath(sc.Items)},
		pageSize: sc.pageSize(), maxPages: sc.maxPages(), lag: sc.lag(),
	}
	if sc.Paging.Type == PagingNextToken {
		sp.pageSpec.token = splitPath(sc.Paging.TokenPath)
	}
	if len(sc.Fields) > 0 {
		sp.fields = []fieldPick{}
		for _, f := range sortedKeys(sc.Fields) {
			sp.fields = append(sp.fields, fieldPick{path: splitPath(f), column: sc.Fields[f]})
		}
	}
	for _, k := range sortedKeys(sc.Query) {
		v, _ := expandEnv(sc.Query[k].Reveal())
		sp.query.Set(k, v)
		s.fixedParams[k] = struct{}{}
		s.addSecret(v)
	}
	return sp
}

// Streams lists the stream names in polling order.
func (s *Source) Streams() []string { return slices.Clone(s.order) }

// Start marks the source running and warns about insecure settings. It
// makes no request, so a vendor API that is down does not stop the
// connector; the first Read reports it.
func (s *Source) Start(context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return errors.New("rest_json: Start after Shutdown; build a new source")
	}
	if s.started {
		return nil
	}
	if s.base.Scheme == "http" {
		s.log.Warn("rest_json: base_url uses plain http (allow_insecure_http): the API credentials and personal data travel unencrypted; use https outside a trusted network",
			"base_url", s.base.String())
	}
	if s.cfg.TLS.InsecureSkipVerify && s.base.Scheme == "https" {
		s.log.Warn("rest_json: TLS CERTIFICATE VERIFICATION IS OFF (tls.insecure_skip_verify): anyone on the network path can read and alter the data and steal the API credentials — use only for rehearsals, set tls.ca_file instead",
			"base_url", s.base.String())
	}
	s.started = true
	s.log.Info("vendor API source ready", "base_url", s.base.String(), "streams", s.order)
	return nil
}

// Shutdown releases idle connections. It is idempotent and safe without
// Start.
func (s *Source) Shutdown(context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	s.http.CloseIdleConnections()
	if s.started {
		s.log.Info("vendor API source stopped")
	}
	return nil
}

func (s *Source) running() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.closed:
		return errors.New("rest_json: source is shut down")
	case !s.started:
		return errors.New("rest_json: Read before Start")
	}
	return nil
}

func (s *Source) plan(stream string) (*streamPlan, error) {
	sp, ok := s.streams[stream]
	if !ok {
		return nil, fmt.Errorf("rest_json: unknown stream %q (configured: %s)", stream, strings.Join(s.order, ", "))
	}
	return sp, nil
}

// Read returns up to limit records strictly after the cursor in (updated,
// key) order, leaving out items updated within the lag window. Items that
// cannot be placed or identified come as records carrying a
// *connectors.RecordError (see makeItem); they never hold the cursor back.
// More is true when the limit or max_pages_per_read stopped the read.
func (s *Source) Read(ctx context.Context, stream string, after connectors.Cursor, limit int) (connectors.Batch, error) {
	sp, err := s.plan(stream)
	if err != nil {
		return connectors.Batch{}, err
	}
	if err := s.running(); err != nil {
		return connectors.Batch{}, err
	}
	if limit <= 0 {
		limit = sp.pageSize
	}
	upper := s.now().Add(-sp.lag)
	sp.supp.begin(after)
	var items []item
	var more bool
	if sp.paging.Type == PagingCursor {
		items, more, err = s.readCursor(ctx, sp, after, upper, limit)
	} else {
		items, more, err = s.readWalk(ctx, sp, after, upper, limit)
	}
	if err != nil {
		sp.supp.end(nil, after)
		return connectors.Batch{}, err
	}
	batch := connectors.Batch{Next: after, More: more}
	var reported []string
	for _, it := range items {
		batch.Records = append(batch.Records, it.rec)
		if !it.placed {
			reported = append(reported, it.id)
		}
	}
	if len(items) > 0 {
		batch.Next = items[len(items)-1].rec.Cursor
	}
	sp.supp.end(reported, batch.Next)
	return batch, nil
}

// readCursor reads an API that filters and orders for us: each request
// asks for the items after the position reached, sorted by (updated,
// key), until the limit, a short page, the lag window or
// max_pages_per_read.
func (s *Source) readCursor(ctx context.Context, sp *streamPlan, after connectors.Cursor, upper time.Time, limit int) ([]item, bool, error) {
	pos := after
	var out []item
	for pages := 0; pages < sp.maxPages; pages++ {
		res, err := s.fetch(ctx, sp, s.cursorRequest(sp, pos))
		if err != nil {
			return nil, false, err
		}
		s.noteMissingItems(sp, res.page)
		items := res.page.items
		full := len(items) >= sp.pageSize
		var last connectors.Cursor // greatest position seen in this page
		progressed, unplaceable := false, false
		for i, v := range items {
			it := sp.makeItem(v)
			if it.placed {
				if !last.IsZero() && sp.compare(it.pos, last) < 0 {
					return nil, false, s.unsortedError(sp, last, it.pos)
				}
				last = it.pos
				if sp.compare(it.pos, pos) <= 0 {
					continue // handed out already (a server that includes the cursor's own item)
				}
				if it.pos.Updated.After(upper) {
					return out, false, nil // inside the lag window; later items are newer still
				}
				pos = it.pos
				it.rec.Cursor = pos
				progressed = true
			} else {
				// The item sorts before every valid key of its time: the
				// empty key stands for that position.
				p := connectors.Cursor{Updated: it.updated}
				if it.timed && sp.compare(p, last) > 0 {
					last = p
				}
				if !it.timed {
					unplaceable = true
				}
				if sp.supp.seen(it.id) {
					continue
				}
				if it.timed {
					if it.updated.After(upper) {
						return out, false, nil
					}
					if sp.compare(p, pos) > 0 {
						pos = p
						progressed = true
					}
				}
				it.rec.Cursor = pos
				sp.supp.add(it.id)
			}
			out = append(out, it)
			if len(out) == limit {
				return out, i < len(items)-1 || full, nil
			}
		}
		if !full {
			return out, false, nil
		}
		if !progressed {
			if unplaceable {
				s.log.Warn("rest_json: a full page holds no item after the cursor but items that cannot be placed in time; the cursor cannot pass them until the vendor fixes them, or page_size is raised above their number",
					"stream", sp.name, "cursor", describeCursor(pos), "page_size", sp.pageSize)
				return out, false, nil
			}
			return nil, false, fmt.Errorf("rest_json: stream %q: the API answered a full page of %d items, none after the cursor %s: it does not seem to filter by %s/%s; check streams.%s.paging (since_param, after_param, since_format)",
				sp.name, len(items), describeCursor(pos), sp.paging.sinceParam(), sp.paging.afterParam(), sp.name)
		}
	}
	return out, true, nil
}

func (s *Source) unsortedError(sp *streamPlan, prev, cur connectors.Cursor) error {
	hint := "use paging type page or next_token, which sort the items themselves"
	if sp.keyType == KeyInt && prev.Updated.Equal(cur.Updated) {
		hint = "if the API sorts keys as text, set key_type: string; otherwise " + hint
	}
	return fmt.Errorf("rest_json: stream %q: the API does not return items sorted by (updated, key), which paging type cursor needs: %s came after %s; %s",
		sp.name, describeCursor(cur), describeCursor(prev), hint)
}

// cursorRequest asks for the items after pos. A position without a key
// (the start, or after an item whose key could not be read) is sent as
// since one second earlier and no key: whether the server compares since
// strictly or not, the position's own second comes back, and the read
// drops what it has handed out already.
func (s *Source) cursorRequest(sp *streamPlan, pos connectors.Cursor) request {
	q := cloneValues(sp.query)
	vars := map[string]string{}
	if !pos.IsZero() {
		since := pos.Updated
		if pos.Key == "" {
			since = since.Add(-time.Second)
		} else {
			q.Set(sp.paging.afterParam(), pos.Key)
			vars["{{after}}"] = jsonString(pos.Key)
		}
		v := formatSince(since, sp.paging.sinceFormat(), s.loc)
		q.Set(sp.paging.sinceParam(), v)
		vars["{{since}}"] = jsonString(v)
	}
	q.Set(sp.paging.sizeParam(), strconv.Itoa(sp.pageSize))
	vars["{{page_size}}"] = strconv.Itoa(sp.pageSize)
	return s.newRequest(sp, sp.endpoint, q, vars)
}

// readWalk reads an API that hands out pages (by number or token) without
// a usable order: it reads every page of the answer, up to
// max_pages_per_read, then keeps the items after the cursor and outside
// the lag window, sorted by (updated, key). With since_param the server
// sends only what changed since the cursor, which keeps the walk short.
func (s *Source) readWalk(ctx context.Context, sp *streamPlan, after connectors.Cursor, upper time.Time, limit int) ([]item, bool, error) {
	var all []item
	complete := false
	pageNo := sp.paging.firstPage()
	var next *url.URL // next_token as a URL
	token := ""
	seenTokens := map[string]bool{}
	largest := 0
	var prevIDs []string
	for pages := 0; pages < sp.maxPages && !complete; pages++ {
		r := s.walkRequest(sp, after, pageNo, token, next)
		res, err := s.fetch(ctx, sp, r)
		if err != nil {
			return nil, false, err
		}
		s.noteMissingItems(sp, res.page)
		items := res.page.items
		ids := make([]string, 0, len(items))
		for _, v := range items {
			it := sp.makeItem(v)
			ids = append(ids, it.id)
			all = append(all, it)
		}
		largest = max(largest, len(items))
		switch sp.paging.Type {
		case PagingPage:
			switch {
			case len(items) == 0 || len(items) < max(sp.pageSize, largest):
				complete = true
			case slices.Equal(ids, prevIDs):
				// The server ignores the page number and answers every
				// page alike: what it shows is all there is to read.
				s.log.Warn("rest_json: the API answers every page with the same items; it seems to ignore the page parameter, so only those items are read",
					"stream", sp.name, "page_param", sp.paging.pageParam())
				complete = true
			}
			pageNo++
			prevIDs = ids
		case PagingNextToken:
			tok := res.page.token
			switch {
			case tok == "":
				complete = true
			case seenTokens[tok]:
				return nil, false, fmt.Errorf("rest_json: stream %q: the API gave the same next-page token twice; check streams.%s.paging.token_path", sp.name, sp.name)
			}
			seenTokens[tok] = true
			token = tok
			if sp.paging.TokenParam == "" && tok != "" {
				if next, err = s.tokenURL(sp, r.url, tok); err != nil {
					return nil, false, err
				}
			}
		}
	}
	if !complete {
		return nil, false, fmt.Errorf("rest_json: stream %q: the answer has more than max_pages_per_read=%d pages of %d items; with paging type %s no item can be handed out before all pages are read: raise streams.%s.max_pages_per_read, or set paging.since_param so the API sends only what changed since the cursor",
			sp.name, sp.maxPages, sp.pageSize, sp.paging.Type, sp.name)
	}

	// Items that cannot be placed come first, at the cursor; then the
	// others in (updated, key) order, each key once (its latest version).
	var bad, good []item
	byKey := map[string]int{}
	seenBad := map[string]bool{}
	for _, it := range all {
		if !it.placed {
			if (it.timed && it.updated.After(upper)) || seenBad[it.id] || sp.supp.seen(it.id) {
				continue
			}
			seenBad[it.id] = true
			bad = append(bad, it)
			continue
		}
		if sp.compare(it.pos, after) <= 0 || it.pos.Updated.After(upper) {
			continue
		}
		if j, ok := byKey[it.pos.Key]; ok {
			if sp.compare(it.pos, good[j].pos) > 0 {
				good[j] = it
			}
			continue
		}
		byKey[it.pos.Key] = len(good)
		good = append(good, it)
	}
	slices.SortFunc(good, func(a, b item) int { return sp.compare(a.pos, b.pos) })
	var out []item
	for _, it := range bad {
		if len(out) == limit {
			break
		}
		it.rec.Cursor = after
		sp.supp.add(it.id)
		out = append(out, it)
	}
	for _, it := range good {
		if len(out) == limit {
			break
		}
		it.rec.Cursor = it.pos
		out = append(out, it)
	}
	return out, len(bad)+len(good) > len(out), nil
}

// walkRequest asks for one page of a page or next_token walk.
func (s *Source) walkRequest(sp *streamPlan, after connectors.Cursor, pageNo int, token string, next *url.URL) request {
	endpoint := sp.endpoint
	q := cloneValues(sp.query)
	vars := map[string]string{"{{page}}": strconv.Itoa(pageNo), "{{page_size}}": strconv.Itoa(sp.pageSize)}
	if next != nil {
		// The server's next-page URL carries its own parameters; only the
		// fixed ones are added when it lacks them.
		endpoint = next
		q = next.Query()
		for k, vs := range sp.query {
			if !q.Has(k) {
				q[k] = vs
			}
		}
	} else {
		if p := sp.paging.SinceParam; p != "" && !after.IsZero() {
			// One second early: servers compare since strictly or not;
			// either way the cursor's own second comes back.
			v := formatSince(after.Updated.Add(-time.Second), sp.paging.sinceFormat(), s.loc)
			q.Set(p, v)
			vars["{{since}}"] = jsonString(v)
		}
		q.Set(sp.paging.sizeParam(), strconv.Itoa(sp.pageSize))
		if sp.paging.Type == PagingPage {
			q.Set(sp.paging.pageParam(), strconv.Itoa(pageNo))
		}
		if token != "" && sp.paging.TokenParam != "" {
			q.Set(sp.paging.TokenParam, token)
		}
	}
	if token != "" {
		vars["{{token}}"] = jsonString(token)
	}
	return s.newRequest(sp, endpoint, q, vars)
}

// tokenURL resolves a next-page URL. It must stay on base_url's scheme and
// host: the request carries the API credentials.
func (s *Source) tokenURL(sp *streamPlan, current *url.URL, tok string) (*url.URL, error) {
	ref, err := url.Parse(tok)
	if err != nil {
		return nil, fmt.Errorf("rest_json: stream %q: the next-page URL at paging.token_path is not a URL; if it is a token, set paging.token_param", sp.name)
	}
	u := current.ResolveReference(ref)
	if u.Scheme != s.base.Scheme || u.Host != s.base.Host {
		return nil, fmt.Errorf("rest_json: stream %q: the next-page URL points to %s://%s, not base_url's host; it is not followed so the credentials stay with base_url",
			sp.name, u.Scheme, u.Host)
	}
	u.User = nil
	return u, nil
}

func (s *Source) newRequest(sp *streamPlan, endpoint *url.URL, q url.Values, vars map[string]string) request {
	u := *endpoint
	u.RawQuery = q.Encode()
	r := request{method: sp.method, url: &u}
	if sp.method == http.MethodPost {
		body := sp.body
		if body == "" {
			body = "{}"
		}
		for ph := range bodyPlaceholders {
			v, ok := vars[ph]
			if !ok {
				v = "null"
			}
			body = strings.ReplaceAll(body, ph, v)
		}
		r.body = []byte(body)
	}
	return r
}

// noteMissingItems warns once per stream when a page lacks the items
// field: an API may leave an empty list out, but a wrong items path
// would otherwise read nothing, silently.
func (s *Source) noteMissingItems(sp *streamPlan, pg page) {
	if pg.itemsFound || sp.warnedMissing {
		return
	}
	sp.warnedMissing = true
	s.log.Warn("rest_json: the API's answer has no items field; read as an empty page. If the API always answers so, streams.*.items is wrong",
		"stream", sp.name, "items", sp.items, "fields", pg.rootKeys)
}

// compare orders positions by time, then key (numerically for int keys).
func (sp *streamPlan) compare(a, b connectors.Cursor) int {
	if c := a.Updated.Compare(b.Updated); c != 0 {
		return c
	}
	return compareKeys(a.Key, b.Key, sp.keyType)
}

func cloneValues(v url.Values) url.Values {
	out := make(url.Values, len(v)+4)
	for k, vs := range v {
		out[k] = slices.Clone(vs)
	}
	return out
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func describeCursor(c connectors.Cursor) string {
	if c.IsZero() {
		return "(start)"
	}
	return fmt.Sprintf("(%s, %q)", c.Updated.Format(time.RFC3339Nano), c.Key)
}

// suppression remembers the items with a record error already handed out,
// so an item that has no position of its own is not reported on every
// read. An item counts as reported only once the pipeline continues from
// the batch that carried it (the next Read starts at that batch's Next);
// a read that starts elsewhere (a retry after a failed commit) reports it
// again. The memory lasts one run; after a restart such items are
// reported once more (the quarantine keeps one entry per key and time).
type suppression struct {
	mu          sync.Mutex
	reported    map[string]bool
	pending     []string
	pendingNext connectors.Cursor
	current     map[string]bool
}

// maxSuppressed bounds the memory; past it, items may be reported again.
const maxSuppressed = 100000

func (s *suppression) begin(after connectors.Cursor) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.pending) > 0 && s.pendingNext.Updated.Equal(after.Updated) && s.pendingNext.Key == after.Key {
		if s.reported == nil || len(s.reported) > maxSuppressed {
			s.reported = map[string]bool{}
		}
		for _, id := range s.pending {
			s.reported[id] = true
		}
	}
	s.pending = nil
	s.current = map[string]bool{}
}

func (s *suppression) seen(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.reported[id] || s.current[id]
}

func (s *suppression) add(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.current == nil {
		s.current = map[string]bool{}
	}
	s.current[id] = true
}

// end records what a read handed out (nil after a failed read).
func (s *suppression) end(reported []string, next connectors.Cursor) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pending, s.pendingNext, s.current = reported, next, nil
}

var (
	_ connectors.Source  = (*Source)(nil)
	_ connectors.Checker = (*Source)(nil)
)
