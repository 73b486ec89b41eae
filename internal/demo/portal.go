package demo

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hcmc-lgsp/lgsp-connector/connectors/dvcqg"
	"github.com/hcmc-lgsp/lgsp-connector/internal/app"
	"github.com/hcmc-lgsp/lgsp-connector/internal/catalog"
	"github.com/hcmc-lgsp/lgsp-connector/internal/config"
	"github.com/hcmc-lgsp/lgsp-connector/internal/lgsp"
	"github.com/hcmc-lgsp/lgsp-connector/internal/outbox"
	"github.com/hcmc-lgsp/lgsp-connector/internal/pipeline"
	"github.com/hcmc-lgsp/lgsp-connector/internal/sandbox"
	"github.com/hcmc-lgsp/lgsp-connector/mapping"
	"github.com/hcmc-lgsp/lgsp-connector/packets"
	"github.com/hcmc-lgsp/lgsp-connector/ratings"
	"github.com/hcmc-lgsp/lgsp-connector/stats"
)

// PortalParams fill the national portal (dvcqg) part of the demo
// configuration; see ConfigParams.Portal.
type PortalParams struct {
	Username, Password string // the sandbox's portal account
	// CityCatalogs maps the city catalogs to their LGSP paths
	// (sandbox.CatalogPaths()).
	CityCatalogs map[string]string
	// Listen is the inbound API's host:port; PublicBaseURL is where the
	// portal reaches it (the start of every published file link).
	Listen, PublicBaseURL string
	BearerToken           string // at least 16 characters
	LinkSecret            string // at least 32 characters
	FilesRoot             string // absolute path of the legacy file store
	ProgressWait          string // dvcqg.progress_wait, default 1s
}

// PortalSummary is what the national portal connector did: its pipeline's
// totals, and what the portal emulation holds.
type PortalSummary struct {
	pipeline.Totals
	Seconds float64 `json:"seconds"`
	// Held are progress steps left in the outbox because their dossier was
	// quarantined: a step never reaches the portal before its dossier, so
	// they wait until the legacy row is fixed.
	Held int `json:"held_for_quarantined_dossiers"`
	// PortalDossiers and PortalSteps are what the emulated portal holds.
	PortalDossiers int `json:"portal_dossiers"`
	PortalSteps    int `json:"portal_steps"`
	// SessionsExpired were ended by the demo (mid-run, and after it) to
	// show the re-login; SessionRejected counts the calls the portal
	// refused for it.
	SessionsExpired int `json:"sessions_expired"`
	SessionRejected int `json:"session_rejected"`
	AlreadyExists   int `json:"already_exists"`
}

// StatisticsSummary is the month's 13 figures (SPEC-dvcqg.md §9.1, under
// their wire names) as computed and sent with DongBoThongKeHoSo.
type StatisticsSummary struct {
	Period                   string      `json:"period"`
	SoNhanTrongKy            int         `json:"SoNhanTrongKy"`
	SoTonKyTruoc             int         `json:"SoTonKyTruoc"`
	TongSoXuLy               int         `json:"TongSoXuLy"`
	TongDaXuLy               int         `json:"TongDaXuLy"`
	TongXuLyDungHan          int         `json:"TongXuLyDungHan"`
	PhanTramXuLyDungHan      json.Number `json:"PhanTramXuLyDungHan"`
	TongXuLyTreHan           int         `json:"TongXuLyTreHan"`
	PhanTramXuLyTreHan       json.Number `json:"PhanTramXuLyTreHan"`
	TongChuaXuLy             int         `json:"TongChuaXuLy"`
	TongChuaXuLyTrongHan     int         `json:"TongChuaXuLyTrongHan"`
	PhanTramChuaXuLyTrongHan json.Number `json:"PhanTramChuaXuLyTrongHan"`
	TongChuaXuLyTreHan       int         `json:"TongChuaXuLyTreHan"`
	PhanTramChuaXuLyTreHan   json.Number `json:"PhanTramChuaXuLyTreHan"`
	// Read and NotCounted are the records read for the period and those
	// that fit no figure; Seconds is the computing time.
	Read       int     `json:"read"`
	NotCounted int     `json:"not_counted"`
	Seconds    float64 `json:"seconds"`
	Sent       bool    `json:"sent"`
	// Result is the computation, for the printed table.
	Result stats.Result `json:"-"`
}

func newStatisticsSummary(rep app.StatsReport) StatisticsSummary {
	f := rep.Result.Figures
	pct := func(p stats.Percent) json.Number { return json.Number(p.String()) }
	return StatisticsSummary{
		Period:        rep.Result.Period.String(),
		SoNhanTrongKy: f.SoNhanTrongKy, SoTonKyTruoc: f.SoTonKyTruoc, TongSoXuLy: f.TongSoXuLy, TongDaXuLy: f.TongDaXuLy,
		TongXuLyDungHan: f.TongXuLyDungHan, PhanTramXuLyDungHan: pct(f.PhanTramXuLyDungHan),
		TongXuLyTreHan: f.TongXuLyTreHan, PhanTramXuLyTreHan: pct(f.PhanTramXuLyTreHan),
		TongChuaXuLy: f.TongChuaXuLy, TongChuaXuLyTrongHan: f.TongChuaXuLyTrongHan, PhanTramChuaXuLyTrongHan: pct(f.PhanTramChuaXuLyTrongHan),
		TongChuaXuLyTreHan: f.TongChuaXuLyTreHan, PhanTramChuaXuLyTreHan: pct(f.PhanTramChuaXuLyTreHan),
		Read: rep.Result.Read, NotCounted: rep.Result.ExcludedTotal(), Seconds: rep.Elapsed.Seconds(), Result: rep.Result,
	}
}

// MonthlyRatingsSummary is the month's satisfaction summary as the portal
// connector computed it from the survey's answers (read by month, never
// delivered one by one: the portal takes no single ratings) and sent with
// DongBoDanhGia.
type MonthlyRatingsSummary struct {
	Period string `json:"period"`
	// Items are the DongBoDanhGia items, one per question.
	Items []ratings.SummaryItem `json:"items"`
	// Read are the survey rows of the month the source handed over;
	// Counted the answers whose level the summary counts. The others are
	// indicator scores (0–2), kiosk re-sends and rows the mapping refuses.
	Read    int     `json:"read"`
	Counted int     `json:"counted"`
	Seconds float64 `json:"seconds"`
	Sent    bool    `json:"sent"`
}

// InboundSummary is what the demo asked the connector's inbound API, as
// the portal would.
type InboundSummary struct {
	Address       string `json:"address"`
	Lookups       int    `json:"lookups"`
	Downloads     int    `json:"downloads"`
	DownloadBytes int    `json:"download_bytes"`
	// MaHoSo is the dossier looked up.
	MaHoSo string `json:"ma_ho_so,omitempty"`
}

// portalRun is the national portal connector of the demo, built over the
// same sample database and sandbox as the city one.
type portalRun struct {
	app   *app.App
	cfg   *config.Config
	sb    *sandbox.Server
	files []SampleFile
	token string
	good  int // good sample dossiers
	// firstGood is the first good dossier's MaHoSo.
	firstGood string
	log       *slog.Logger
}

// portalFilesDossiers is how many sample dossiers get files in the store.
const portalFilesDossiers = 5

// buildPortal configures and builds the portal connector: catalogs
// fetched first (with quick retries, the sandbox injects faults), then the
// connector, then its inbound API started.
func buildPortal(ctx context.Context, p ConfigParams, sb *sandbox.Server, o Options) (_ *portalRun, err error) {
	yaml, err := RenderConfig(p)
	if err != nil {
		return nil, err
	}
	cfg, err := config.LoadBytes(yaml, o.Dir, config.LoadOptions{})
	if err != nil {
		return nil, fmt.Errorf("demo portal configuration: %w", err)
	}
	if _, err := syncCatalogs(ctx, cfg, o.Logger); err != nil {
		return nil, err
	}
	a, err := app.Build(ctx, cfg, app.Options{Logger: o.Logger})
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			a.Close(context.Background())
		}
	}()
	if err := a.Inbound.Start(ctx); err != nil {
		return nil, err
	}
	return &portalRun{app: a, cfg: cfg, sb: sb, token: p.Portal.BearerToken, log: o.Logger}, nil
}

// withQuickRetries is cfg with the transport retrying a failed call a few
// times on the spot: for the one-off calls the demo makes outside the
// outbox (catalogs, statistics), which have no later retry.
func withQuickRetries(cfg *config.Config) *config.Config {
	c := *cfg
	c.LGSP.QuickRetries = 4
	return &c
}

// syncCatalogs fetches every catalog of cfg's catalogs.refresh into the
// cache, retrying a failed one twice, and returns the rows of each.
func syncCatalogs(ctx context.Context, cfg *config.Config, log *slog.Logger) (map[string]int, error) {
	cs, err := app.OpenCatalogs(ctx, withQuickRetries(cfg), app.CatalogOptions{Logger: log})
	if err != nil {
		return nil, err
	}
	defer cs.Close()
	names := cs.Syncer.Names()
	for round := 0; round < 3 && len(names) > 0; round++ {
		results, err := cs.Syncer.Sync(ctx, names...)
		if results == nil && err != nil {
			return nil, err // nothing was tried: the refresh is misconfigured
		}
		names = names[:0]
		for _, r := range results {
			if r.Err != nil {
				names = append(names, r.Name)
			}
		}
	}
	if len(names) > 0 {
		return nil, fmt.Errorf("danh mục / catalogs %s: fetch failed three times", strings.Join(names, ", "))
	}
	return catalogRows(ctx, cs.Store)
}

// catalogRows counts the cached rows of each catalog.
func catalogRows(ctx context.Context, st *catalog.Store) (map[string]int, error) {
	list, err := st.List(ctx)
	if err != nil {
		return nil, err
	}
	out := make(map[string]int, len(list))
	for _, i := range list {
		out[i.Name] = i.Rows
	}
	return out, nil
}

// DrainHolding is pipeline.Drain for the portal profile: it reads every
// stream and delivers until nothing is left in the outbox but progress
// steps whose dossier will not reach the portal — quarantined (no packet)
// or failed for good. Those wait, rightly — a step never goes before its
// dossier — so Drain would wait for ever. It returns how many are held.
func DrainHolding(ctx context.Context, p *pipeline.Pipeline, st *outbox.Store, tick time.Duration) (held int, err error) {
	dctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- p.RunDelivery(dctx, tick) }()
	stop := func() error { cancel(); return <-done }
	defer func() {
		if serr := stop(); err == nil {
			err = serr
		}
	}()
	wait := func() error {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(tick):
			return nil
		}
	}
	for {
		ps, err := p.Poll(ctx)
		if err != nil {
			return 0, err
		}
		if !ps.Paused {
			break
		}
		if err := wait(); err != nil {
			return 0, err
		}
	}
	for {
		held, settled, err := onlyHeld(ctx, st)
		if err != nil || settled {
			return held, err
		}
		if err := wait(); err != nil {
			return 0, err
		}
	}
}

// onlyHeld reports whether every packet still to deliver is a progress
// step whose dossier has no live packet in the outbox (none, or dead), and
// how many there are.
func onlyHeld(ctx context.Context, st *outbox.Store) (held int, settled bool, err error) {
	c, err := st.Counts(ctx)
	if err != nil || c.InFlight > 0 {
		return 0, false, err
	}
	if c.Pending == 0 {
		return 0, true, nil
	}
	if c.Pending > outbox.MaxQueryLimit {
		return 0, false, nil
	}
	pending, err := st.Query(ctx, outbox.Filter{State: outbox.StatePending, Limit: outbox.MaxQueryLimit})
	if err != nil {
		return 0, false, err
	}
	orphan := map[string]bool{}
	for _, e := range pending {
		if e.Kind != string(packets.KindProgress) || e.MaHoSo == "" {
			return 0, false, nil
		}
		known, seen := orphan[e.MaHoSo]
		if !seen {
			same, err := st.Query(ctx, outbox.Filter{MaHoSo: e.MaHoSo, Limit: outbox.MaxQueryLimit})
			if err != nil {
				return 0, false, err
			}
			known = true
			for _, s := range same {
				if s.Kind == string(packets.KindDossier) && s.State != outbox.StateDead {
					known = false // its dossier is delivered or on its way
				}
			}
			orphan[e.MaHoSo] = known
		}
		if !known {
			return 0, false, nil
		}
	}
	return len(pending), true, nil
}

// deliver drains the portal pipeline, ending every portal session once
// half the dossiers have arrived: the connector logs in again by itself.
func (r *portalRun) deliver(ctx context.Context) (PortalSummary, error) {
	var sum PortalSummary
	watchCtx, stopWatch := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-watchCtx.Done():
				return
			case <-tick.C:
			}
			if r.sb.Stats().DVCQG.Dossiers >= max(r.good/2, 1) {
				sum.SessionsExpired = r.sb.ExpirePortalSessions()
				return
			}
		}
	}()
	start := time.Now()
	held, err := DrainHolding(ctx, r.app.Pipeline, r.app.Store, 50*time.Millisecond)
	stopWatch()
	wg.Wait()
	if err != nil {
		return sum, err
	}
	sum.Seconds = time.Since(start).Seconds()
	sum.Held = held

	// The night passes and the session expires. Next morning the running
	// connector asks the portal about a dossier (TraCuuHoSo, as before a
	// create): refused for the session, it logs in again by itself.
	sum.SessionsExpired += r.sb.ExpirePortalSessions()
	if err := r.confirmOnPortal(ctx); err != nil {
		return sum, err
	}
	r.fill(&sum)
	return sum, nil
}

// confirmOnPortal asks the portal, through the running connector's
// session, whether it has the first good dossier. The sandbox's injected
// faults have no outbox to retry from here, so a failed call is tried
// again.
func (r *portalRun) confirmOnPortal(ctx context.Context) error {
	if r.firstGood == "" {
		return nil
	}
	var err error
	for attempt := 0; attempt < 6; attempt++ {
		var found bool
		found, err = r.app.Portal.TraCuuHoSo(ctx, r.firstGood)
		var pe *dvcqg.Error
		switch {
		case err == nil && !found:
			return fmt.Errorf("the portal does not have dossier %s after delivery", r.firstGood)
		case err == nil:
			return nil
		case errors.As(err, &pe) && pe.Class == lgsp.ClassPermanent:
			return err
		}
	}
	return err
}

// fill copies the pipeline's totals and the portal's figures into sum.
func (r *portalRun) fill(sum *PortalSummary) {
	sum.Totals = r.app.Pipeline.Totals()
	st := r.sb.Stats().DVCQG
	sum.PortalDossiers, sum.PortalSteps = st.Dossiers, st.Steps
	sum.SessionRejected, sum.AlreadyExists = st.SessionRejected, st.AlreadyExists
}

// BusiestMonth is the month in which the sample database received the
// most dossiers (the earlier on a tie).
func BusiestMonth(ctx context.Context, db *sql.DB) (year int, month time.Month, err error) {
	rows, err := db.QueryContext(ctx, `SELECT SUBSTR(ngay_nhan, 1, 7) AS m, COUNT(*) FROM hs_hoso GROUP BY m`)
	if err != nil {
		return 0, 0, fmt.Errorf("busiest month: %w", err)
	}
	defer rows.Close()
	best, bestN := time.Time{}, 0
	for rows.Next() {
		var m sql.NullString
		var n int
		if err := rows.Scan(&m, &n); err != nil {
			return 0, 0, fmt.Errorf("busiest month: %w", err)
		}
		t, err := time.Parse("2006-01", m.String)
		if err != nil {
			continue // a bad sample row's unreadable date
		}
		if n > bestN || (n == bestN && t.Before(best)) {
			best, bestN = t, n
		}
	}
	if err := rows.Err(); err != nil {
		return 0, 0, fmt.Errorf("busiest month: %w", err)
	}
	if bestN == 0 {
		return 0, 0, errors.New("busiest month: the sample database has no dossier with a receipt date")
	}
	return best.Year(), best.Month(), nil
}

// statistics computes the month's figures from the legacy database and
// sends them with DongBoThongKeHoSo.
func (r *portalRun) statistics(ctx context.Context, year int, month time.Month) (StatisticsSummary, error) {
	zone, err := time.LoadLocation(stats.DefaultZone)
	if err != nil {
		return StatisticsSummary{}, err
	}
	p := stats.MonthPeriod(year, month, zone)
	rep, err := app.ComputeStats(ctx, r.cfg, p, app.StatsOptions{
		Statistics: app.StatisticsConfig(r.cfg), Mapping: r.app.Catalogs.MappingOptions(mapping.Options{}), Logger: r.log,
	})
	if err != nil {
		return StatisticsSummary{}, err
	}
	sum := newStatisticsSummary(rep)
	sender, err := app.NewStatsSender(ctx, withQuickRetries(r.cfg), r.log)
	if err != nil {
		return sum, err
	}
	for attempt := 1; ; attempt++ {
		err = sender.SendStats(ctx, rep.Result.Figures)
		var pe *dvcqg.Error
		if err == nil || attempt == 3 || (errors.As(err, &pe) && pe.Class == lgsp.ClassPermanent) {
			break
		}
	}
	if err != nil {
		return sum, fmt.Errorf("gửi thống kê / sending statistics %s: %w", p, err)
	}
	sum.Sent = true
	return sum, nil
}

// monthlyRatings computes the month's DongBoDanhGia from the survey's
// answers and sends it. Without a rating stream in the configuration
// there is nothing to summarise, and nothing is sent.
func (r *portalRun) monthlyRatings(ctx context.Context, year int, month time.Month) (MonthlyRatingsSummary, error) {
	if _, ok := r.cfg.Mapping.Streams[r.cfg.Ratings.Stream]; !ok {
		return MonthlyRatingsSummary{}, nil
	}
	zone, err := time.LoadLocation(stats.DefaultZone)
	if err != nil {
		return MonthlyRatingsSummary{}, err
	}
	p := stats.MonthPeriod(year, month, zone)
	res, err := app.ComputeRatingsSummary(ctx, r.cfg, p, app.RatingsOptions{
		Ratings: app.RatingsConfig(r.cfg), Statistics: app.StatisticsConfig(r.cfg),
		Mapping: r.app.Catalogs.MappingOptions(mapping.Options{}), Logger: r.log,
	})
	if err != nil {
		return MonthlyRatingsSummary{}, err
	}
	sum := MonthlyRatingsSummary{Period: p.String(), Items: res.Result.Items, Read: res.Answers.Read,
		Counted: res.Result.Answers.Used, Seconds: res.Elapsed.Seconds()}
	sender, err := app.NewRatingsSender(ctx, withQuickRetries(r.cfg), r.log)
	if err != nil {
		return sum, err
	}
	for attempt := 1; ; attempt++ {
		err = sender.SendRatings(ctx, res.Result)
		var pe *dvcqg.Error
		if err == nil || attempt == 3 || (errors.As(err, &pe) && pe.Class == lgsp.ClassPermanent) {
			break
		}
	}
	if err != nil {
		return sum, fmt.Errorf("gửi tổng hợp đánh giá / sending the ratings summary %s: %w", p, err)
	}
	sum.Sent = true
	return sum, nil
}

// inbound plays the portal calling the connector back: one TraCuuHoSo of a
// delivered dossier that has files, then one download of a file link the
// portal received with that dossier.
func (r *portalRun) inbound(ctx context.Context) (InboundSummary, error) {
	sum := InboundSummary{Address: r.cfg.Inbound.PublicBaseURL}
	if len(r.files) == 0 {
		return sum, nil
	}
	f := r.files[0]
	sum.MaHoSo = f.MaHoSo
	client := &http.Client{Timeout: 10 * time.Second}
	body, _ := json.Marshal(map[string]string{"service": "TraCuuHoSo", "madonvi": r.cfg.DVCQG.MaDonVi, "mahoso": f.MaHoSo})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.cfg.Inbound.PublicBaseURL+"/dvcqg/TraCuuHoSo", bytes.NewReader(body))
	if err != nil {
		return sum, err
	}
	req.Header.Set("Authorization", "Bearer "+r.token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return sum, fmt.Errorf("inbound TraCuuHoSo: %w", err)
	}
	var answer struct {
		ErrorCode int                          `json:"error_code"`
		Message   string                       `json:"message"`
		Result    []map[string]json.RawMessage `json:"result"`
	}
	err = json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&answer)
	resp.Body.Close()
	switch {
	case err != nil:
		return sum, fmt.Errorf("inbound TraCuuHoSo: HTTP %d, answer unreadable: %w", resp.StatusCode, err)
	case answer.ErrorCode != 0 || len(answer.Result) != 1:
		return sum, fmt.Errorf("inbound TraCuuHoSo %s: HTTP %d, error_code %d %q, %d rows", f.MaHoSo, resp.StatusCode, answer.ErrorCode, answer.Message, len(answer.Result))
	case string(answer.Result[0]["MaHoSo"]) != strconv.Quote(f.MaHoSo):
		return sum, fmt.Errorf("inbound TraCuuHoSo %s answered dossier %s", f.MaHoSo, answer.Result[0]["MaHoSo"])
	}
	sum.Lookups++

	// The link the portal was given with the dossier (DongBoHoSoMC).
	d, ok := r.sb.PortalDossier(f.MaHoSo)
	if !ok {
		return sum, fmt.Errorf("the portal does not have dossier %s", f.MaHoSo)
	}
	link, err := fileLink(d.Item, f.DocumentID)
	if err != nil {
		return sum, fmt.Errorf("dossier %s: %w", f.MaHoSo, err)
	}
	req, err = http.NewRequestWithContext(ctx, http.MethodGet, link, nil)
	if err != nil {
		return sum, err
	}
	resp, err = client.Do(req)
	if err != nil {
		return sum, fmt.Errorf("inbound download: %w", err)
	}
	got, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
	switch {
	case err != nil:
		return sum, fmt.Errorf("inbound download: %w", err)
	case resp.StatusCode != http.StatusOK || !bytes.Equal(got, f.Content):
		return sum, fmt.Errorf("inbound download of document %d: HTTP %d, %d bytes, want the %d bytes of %s", f.DocumentID, resp.StatusCode, len(got), len(f.Content), f.Ref)
	}
	sum.Downloads++
	sum.DownloadBytes += len(got)
	return sum, nil
}

// fileLink finds the published link of document id in a DongBoHoSoMC item.
func fileLink(item json.RawMessage, id int64) (string, error) {
	var d struct {
		TaiLieuNop []struct {
			TepDinhKemId      json.RawMessage
			DuongDanTaiTepTin string
		}
	}
	if err := json.Unmarshal(item, &d); err != nil {
		return "", err
	}
	want := strconv.FormatInt(id, 10)
	for _, t := range d.TaiLieuNop {
		if strings.Trim(string(t.TepDinhKemId), `"`) == want {
			if !strings.HasPrefix(t.DuongDanTaiTepTin, "http") {
				return "", fmt.Errorf("document %d has no published link (%q)", id, t.DuongDanTaiTepTin)
			}
			return t.DuongDanTaiTepTin, nil
		}
	}
	return "", fmt.Errorf("document %d is not in TaiLieuNop", id)
}

// calls are the portal calls per service the sandbox answered.
func calls(sb *sandbox.Server) map[string]int {
	out := map[string]int{}
	for k, v := range sb.Stats().DVCQG.Calls {
		out[k] = v
	}
	return out
}

// randomText returns n random bytes in hex: the demo's bearer token and
// link secret, new every run.
func randomText(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return hex.EncodeToString(b), nil
}

// freeLoopbackAddr finds a free port on 127.0.0.1: the inbound API's
// published links must name its address before it starts.
func freeLoopbackAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	addr := ln.Addr().String()
	return addr, ln.Close()
}
