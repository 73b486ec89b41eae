package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/hcmc-lgsp/lgsp-connector/connectors"
	"github.com/hcmc-lgsp/lgsp-connector/connectors/dvcqg"
	"github.com/hcmc-lgsp/lgsp-connector/internal/config"
	"github.com/hcmc-lgsp/lgsp-connector/mapping"
	"github.com/hcmc-lgsp/lgsp-connector/packets"
	"github.com/hcmc-lgsp/lgsp-connector/ratings"
	"github.com/hcmc-lgsp/lgsp-connector/stats"
)

// RatingsSender sends one month's satisfaction summary to the national
// portal (DongBoDanhGia). The portal client implements it.
type RatingsSender interface {
	SendRatings(ctx context.Context, s ratings.SummaryResult) error
}

// ErrRatingsSenderNotConfigured is what asking to send gives while no
// portal client is configured: the summary is never pretended sent.
var ErrRatingsSenderNotConfigured = errors.New("gửi tổng hợp đánh giá lên Cổng DVCQG chưa được cấu hình / sending the ratings summary to the national portal (DongBoDanhGia) is not configured")

// NewRatingsSender returns the portal sender when dvcqg is enabled. It
// logs in through LGSP like the delivery pipeline does.
func NewRatingsSender(_ context.Context, cfg *config.Config, log *slog.Logger) (RatingsSender, error) {
	c, err := newPortalSender(cfg, log, ErrRatingsSenderNotConfigured)
	if err != nil {
		return nil, err
	}
	return portalRatings{c}, nil
}

// portalRatings sends a summary with DongBoDanhGia.
type portalRatings struct{ c *dvcqg.Client }

func (p portalRatings) SendRatings(ctx context.Context, s ratings.SummaryResult) error {
	items, err := SummaryItems(s)
	if err != nil {
		return err
	}
	return p.c.DongBoDanhGia(ctx, items)
}

// SummaryItems encodes the summary's items for DongBoDanhGia, one JSON
// object each, under the wire names. A summary without items has nothing
// the portal could take.
func SummaryItems(s ratings.SummaryResult) ([][]byte, error) {
	if len(s.Items) == 0 {
		return nil, fmt.Errorf("%s %s: không có mục nào / no items", ratings.SummaryService, s.Period)
	}
	out := make([][]byte, len(s.Items))
	for i, item := range s.Items {
		b, err := json.Marshal(item)
		if err != nil {
			return nil, err
		}
		out[i] = b
	}
	return out, nil
}

// RatingsConfig is the ratings section of cfg.
func RatingsConfig(cfg *config.Config) config.Ratings { return cfg.Ratings }

// RatingsOptions adjust ComputeRatings and ComputeRatingsSummary.
type RatingsOptions struct {
	// Ratings is the ratings section (see RatingsConfig).
	Ratings config.Ratings
	// Statistics gives the deadline calendar (compare, deadline_basis,
	// weekend, holidays), so indicators 1 and 2 judge "on time" exactly
	// as the monthly statistics do; and the dossier stream when
	// Ratings.DossierStream is empty.
	Statistics stats.Config
	// Mapping are the mapping's run-time options (catalogs …), as Build
	// gives them.
	Mapping mapping.Options
	Logger  *slog.Logger
	// SourceSettings lets tests inject settings such as a clock.
	SourceSettings *connectors.Settings
	// Now is the clock of Elapsed; nil means time.Now.
	Now func() time.Time
}

// ReasonDuplicateIdentity is a record whose mapped identity (the stream's
// identity: fields, e.g. MaPhieu) was read before: a kiosk's re-sent copy.
// The copy with the earliest ThoiDiemDanhGia is kept.
const ReasonDuplicateIdentity = "duplicate_identity"

// ReasonStepNotNeeded is a progress step of a dossier no report row
// counts (not resolved in the period).
const ReasonStepNotNeeded = "dossier_not_scored"

// StreamRead accounts for the records one stream handed over before the
// ratings package saw them: Read = Used + the sum of NotUsed.
type StreamRead struct {
	Stream string `json:"stream"`
	Read   int    `json:"read"`
	// Used are the records mapped and passed on.
	Used int `json:"used"`
	// NotUsed counts the others by reason: "source: <field>" (the source
	// could not read a value), "mapping: <field>" (the mapping refuses
	// the record, as the pipeline would quarantine it),
	// ReasonDuplicateIdentity, ReasonStepNotNeeded.
	NotUsed map[string]int `json:"not_used"`
}

func newStreamRead(stream string) StreamRead {
	return StreamRead{Stream: stream, NotUsed: map[string]int{}}
}

func (s *StreamRead) skip(reason string) { s.NotUsed[reason]++ }

// NotUsedTotal is the sum of NotUsed.
func (s StreamRead) NotUsedTotal() int {
	n := 0
	for _, v := range s.NotUsed {
		n += v
	}
	return n
}

// Reasons lists the reasons of NotUsed, sorted.
func (s StreamRead) Reasons() []string {
	out := make([]string, 0, len(s.NotUsed))
	for r := range s.NotUsed {
		out = append(out, r)
	}
	slices.Sort(out)
	return out
}

// RatingsReport is one report computation: the report, and what each
// stream handed over.
type RatingsReport struct {
	Report                   ratings.Report
	Answers, Dossiers, Steps StreamRead
	// StepsNote says why no progress steps were read; "" when they were.
	// Without steps, indicators 2 (units late), 3 (supplement requests)
	// and 4 (agencies) are not known.
	StepsNote string
	// Elapsed is the wall time from the first query to the report.
	Elapsed time.Duration
}

// RatingsSummary is one summary computation: the month's DongBoDanhGia
// items, and what the rating stream handed over.
type RatingsSummary struct {
	Result  ratings.SummaryResult
	Answers StreamRead
	Elapsed time.Duration
}

// ratingDossierFields are the dossier fields the indicators read: a
// dossier whose other fields cannot be mapped (an undecodable name) is
// still scored.
var ratingDossierFields = []string{"MaHoSo", "MaTTHC", "TrangThaiHoSo", "KenhThucHien", "NgayTiepNhan", "NgayHenTra", "NgayKetThucXuLy", "NgayTra"}

// ratingStepFields are the progress-step fields the indicators read.
var ratingStepFields = []string{"MaHoSo", "TrangThai", "PhongBanXuLy", "ThoiDiemXuLy", "NgayKetThucTheoQuyDinh"}

// cutStream is a stream's mapping with only fields, no lists and no
// identity (its fields may be cut); the catalog date is kept when its
// field is.
func cutStream(sm mapping.StreamMapping, fields []string) mapping.StreamMapping {
	kept := map[string]mapping.FieldMapping{}
	for _, name := range fields {
		if fm, ok := sm.Fields[name]; ok {
			kept[name] = fm
		}
	}
	if _, ok := kept[sm.CatalogDate]; !ok {
		sm.CatalogDate = ""
	}
	sm.Fields, sm.Lists, sm.Identity = kept, nil, nil
	return sm
}

// ratingsRun reads the streams of one computation.
type ratingsRun struct {
	cfg    *config.Config
	o      RatingsOptions
	log    *slog.Logger
	rules  *ratings.Rules
	mapper *mapping.Mapper
	src    connectors.Source
	reader connectors.PeriodReader
	// streams maps a stream to its key path, for messages.
	streams map[string]string
}

// streamUse is one stream a computation reads.
type streamUse struct {
	key, name string
	kind      packets.Kind
	fields    []string // nil: the whole mapping, as for sending
}

// checkStream checks that a stream is mapped to the packet kind wanted.
func checkStream(cfg *config.Config, u streamUse) error {
	sm, ok := cfg.Mapping.Streams[u.name]
	switch {
	case strings.TrimSpace(u.name) == "":
		return fmt.Errorf("%s: bắt buộc / required", u.key)
	case !ok:
		return fmt.Errorf("%s %q: luồng không có trong mapping.streams / stream is not in mapping.streams; map it with packet: %s", u.key, u.name, u.kind)
	case strings.TrimSpace(sm.Packet) != string(u.kind):
		return fmt.Errorf("%s %q: cần luồng ánh xạ thành %s / must be a stream whose mapping builds %s (mapping.streams.%s.packet: %s)",
			u.key, u.name, u.kind, u.kind, u.name, u.kind)
	}
	return nil
}

// openRatings checks the configuration of a computation of period p over
// the streams uses, and opens the source. Close it with Shutdown.
func openRatings(ctx context.Context, cfg *config.Config, p stats.Period, o RatingsOptions, uses []streamUse) (*ratingsRun, error) {
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	deadlines, err := o.Statistics.Options(cfg.Unit.Code, cfg.Unit.Name, p.Start.Location())
	if err != nil {
		return nil, err
	}
	rules, err := ratings.New(o.Ratings.Rules, deadlines)
	if err != nil {
		return nil, err
	}
	m := cfg.Mapping
	m.Streams = map[string]mapping.StreamMapping{}
	r := &ratingsRun{cfg: cfg, o: o, log: log, rules: rules, streams: map[string]string{}}
	var errs []error
	for _, u := range uses {
		if err := checkStream(cfg, u); err != nil {
			errs = append(errs, err)
			continue
		}
		sm := cfg.Mapping.Streams[u.name]
		if u.fields != nil {
			sm = cutStream(sm, u.fields)
		}
		m.Streams[u.name] = sm
		r.streams[u.name] = u.key
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	if r.mapper, err = mapping.New(m, o.Mapping); err != nil {
		return nil, fmt.Errorf("mapping: %w", err)
	}
	settings := connectors.Settings{Logger: log.With("component", "source")}
	if o.SourceSettings != nil {
		settings = *o.SourceSettings
	}
	if r.src, err = newSource(cfg, settings); err != nil {
		return nil, err
	}
	reader, ok := r.src.(connectors.PeriodReader)
	if !ok {
		_ = r.src.Shutdown(context.Background())
		only := cfg.AllSources()[0] // a Multi of several is always a PeriodReader
		return nil, fmt.Errorf("%s.type %q: nguồn này không đọc được theo kỳ, nên không tính được đánh giá / this source cannot read a period, so ratings cannot be computed from it", only.Path, only.Type)
	}
	r.reader = reader
	if err := r.src.Start(ctx); err != nil {
		_ = r.src.Shutdown(context.Background())
		return nil, fmt.Errorf("source: %w", err)
	}
	return r, nil
}

func (r *ratingsRun) close() { _ = r.src.Shutdown(context.Background()) }

// read maps every record of stream the source hands over for [from, to)
// and gives use each packet; records the source or the mapping refuses
// are counted in t by reason, never fatal. A stream the source cannot
// read by period gives an error wrapping errors.ErrUnsupported that names
// the stream and its key.
func (r *ratingsRun) read(ctx context.Context, stream string, from, to time.Time, t *StreamRead, use func(*packets.Packet) error) error {
	err := r.reader.ReadPeriod(ctx, stream, from, to, func(rec connectors.Record) error {
		t.Read++
		if re := connectors.RecordErrorOf(rec); re != nil {
			t.skip("source: " + re.Field)
			return nil
		}
		pkt, _, err := r.mapper.Map(stream, rec.Key, rec.Values)
		if err != nil {
			var me *mapping.Error
			if errors.As(err, &me) {
				t.skip(strings.TrimSuffix("mapping: "+me.Field, ": "))
				return nil
			}
			return fmt.Errorf("mapping stream %q record %s: %w", stream, rec.Key, err)
		}
		return use(pkt)
	})
	key := r.streams[stream]
	switch {
	case errors.Is(err, errors.ErrUnsupported):
		return fmt.Errorf("%s %q: nguồn không đọc được luồng này theo kỳ / the source cannot read this stream by period (see docs/ratings.md, \"Reading a period\"): %w",
			key, stream, err)
	case err != nil:
		return fmt.Errorf("%s %q: đọc kỳ / reading %s to %s: %w", key, stream, from.Format(time.DateOnly), to.Format(time.DateOnly), err)
	}
	return nil
}

// readAnswers reads the ratings dated in p, one per identity.
func (r *ratingsRun) readAnswers(ctx context.Context, p stats.Period) ([]packets.Rating, StreamRead, error) {
	stream := r.o.Ratings.Stream
	t := newStreamRead(stream)
	var answers []packets.Rating
	byID := map[string]int{}
	err := r.read(ctx, stream, p.Start, p.End, &t, func(pkt *packets.Packet) error {
		if pkt.Rating == nil {
			return fmt.Errorf("ratings.stream %q: the mapping built a %s packet, not DanhGia", stream, pkt.Header.LoaiGoiTin)
		}
		if id, ok := r.mapper.Identity(stream, pkt); ok {
			if i, seen := byID[id]; seen {
				t.skip(ReasonDuplicateIdentity)
				if earlier(pkt.Rating, &answers[i]) {
					answers[i] = *pkt.Rating
				}
				return nil
			}
			byID[id] = len(answers)
		}
		answers = append(answers, *pkt.Rating)
		t.Used++
		return nil
	})
	return answers, t, err
}

// earlier reports whether a was answered before b (a dated answer before
// an undated one).
func earlier(a, b *packets.Rating) bool {
	switch {
	case a.ThoiDiemDanhGia.IsZero():
		return false
	case b.ThoiDiemDanhGia.IsZero():
		return true
	}
	return a.ThoiDiemDanhGia.Before(b.ThoiDiemDanhGia.Time)
}

// ComputeRatingsSummary builds the month's DongBoDanhGia items from the
// rating stream: the answers dated in p read through the source's period
// reader, mapped exactly as for sending (a record the mapping refuses is
// counted, by field, never guessed), one per identity, then summarised by
// the ratings package for cfg.Unit with the section's questions.
func ComputeRatingsSummary(ctx context.Context, cfg *config.Config, p stats.Period, o RatingsOptions) (RatingsSummary, error) {
	now := o.Now
	if now == nil {
		now = time.Now
	}
	if p.Kind != stats.Monthly {
		return RatingsSummary{}, fmt.Errorf("kỳ %s không phải một tháng / period %s is not a month: the summary is monthly", p, p)
	}
	r, err := openRatings(ctx, cfg, p, o, []streamUse{{key: "ratings.stream", name: o.Ratings.Stream, kind: packets.KindRating}})
	if err != nil {
		return RatingsSummary{}, err
	}
	defer r.close()
	started := now()
	answers, read, err := r.readAnswers(ctx, p)
	if err != nil {
		return RatingsSummary{}, err
	}
	res, err := r.rules.Summary(p, cfg.Unit.Code, cfg.Unit.Name, o.Ratings.SummaryQuestions(), answers)
	if err != nil {
		return RatingsSummary{}, err
	}
	out := RatingsSummary{Result: res, Answers: read, Elapsed: now().Sub(started)}
	r.log.Info("ratings summary computed", "period", p.String(), "read", read.Read, "counted", res.Answers.Used,
		"questions", len(res.Items), "elapsed", out.Elapsed)
	return out, nil
}

// ComputeRatings computes the ratings report of period p grouped by by:
//
//   - the answers dated in p, from the rating stream (as for the summary);
//   - the dossiers the period's figures depend on, from the dossier
//     stream through the period reader, mapped with the fields the
//     indicators read;
//   - the progress steps of the dossiers resolved in p, read over
//     [start − steps_lookback, end) from the steps stream. Without a steps
//     stream, or when its source cannot read it by period, the report is
//     still made and StepsNote says why indicators 2, 3 and 4 are not
//     known;
//
// then each dossier scored (ratings.Rules.Score) and the report made
// (ratings.Rules.Report). Records the source or the mapping refuses are
// counted by stream and reason, never fatal.
func ComputeRatings(ctx context.Context, cfg *config.Config, p stats.Period, by ratings.GroupBy, o RatingsOptions) (RatingsReport, error) {
	now := o.Now
	if now == nil {
		now = time.Now
	}
	rc := o.Ratings
	dossierStream := strings.TrimSpace(rc.DossierStream)
	if dossierStream == "" {
		dossierStream = o.Statistics.Stream
	}
	stepsStream := strings.TrimSpace(rc.StepsStream)
	uses := []streamUse{
		{key: "ratings.stream", name: rc.Stream, kind: packets.KindRating},
		{key: "ratings.dossier_stream", name: dossierStream, kind: packets.KindDossier, fields: ratingDossierFields},
	}
	if stepsStream != "" {
		uses = append(uses, streamUse{key: "ratings.steps_stream", name: stepsStream, kind: packets.KindProgress, fields: ratingStepFields})
	}
	r, err := openRatings(ctx, cfg, p, o, uses)
	if err != nil {
		return RatingsReport{}, err
	}
	defer r.close()
	started := now()
	out := RatingsReport{Dossiers: newStreamRead(dossierStream), Steps: newStreamRead(stepsStream)}

	var answers []packets.Rating
	if answers, out.Answers, err = r.readAnswers(ctx, p); err != nil {
		return RatingsReport{}, err
	}

	// The dossiers, and which of them reports count: resolved in p.
	unit := cfg.Unit.Code
	var dossiers []*packets.Dossier
	counted := map[string]bool{}
	err = r.read(ctx, dossierStream, p.Start, p.End, &out.Dossiers, func(pkt *packets.Packet) error {
		if pkt.Dossier == nil {
			return fmt.Errorf("ratings.dossier_stream %q: the mapping built a %s packet, not HoSo", dossierStream, pkt.Header.LoaiGoiTin)
		}
		dossiers = append(dossiers, pkt.Dossier)
		out.Dossiers.Used++
		if s := r.rules.Score(unit, pkt.Dossier, nil); s.Resolved && p.Contains(s.End) {
			counted[pkt.Dossier.MaHoSo] = true
		}
		return nil
	})
	if err != nil {
		return RatingsReport{}, err
	}

	// Their steps, from well before the period: a dossier finished in
	// it was received, and partly handled, earlier.
	steps := map[string][]packets.ProgressStep{}
	switch {
	case stepsStream == "":
		out.StepsNote = "ratings.steps_stream trống: không đọc bước xử lý / ratings.steps_stream is empty: no progress steps read"
	case len(counted) == 0:
		// Nothing to score: no need to read the steps.
	default:
		from := p.Start.Add(-rc.StepsLookback)
		err = r.read(ctx, stepsStream, from, p.End, &out.Steps, func(pkt *packets.Packet) error {
			if pkt.Progress == nil {
				return fmt.Errorf("ratings.steps_stream %q: the mapping built a %s packet, not TienDoXuLy", stepsStream, pkt.Header.LoaiGoiTin)
			}
			if !counted[pkt.Progress.MaHoSo] {
				out.Steps.skip(ReasonStepNotNeeded)
				return nil
			}
			steps[pkt.Progress.MaHoSo] = append(steps[pkt.Progress.MaHoSo], *pkt.Progress)
			out.Steps.Used++
			return nil
		})
		if errors.Is(err, errors.ErrUnsupported) {
			out.StepsNote, err = err.Error(), nil
			steps = map[string][]packets.ProgressStep{}
			out.Steps = newStreamRead(stepsStream)
		}
		if err != nil {
			return RatingsReport{}, err
		}
	}

	scores := make([]ratings.DossierScores, len(dossiers))
	for i, d := range dossiers {
		scores[i] = r.rules.Score(unit, d, steps[d.MaHoSo])
		if out.StepsNote != "" {
			// The supplement requests are counted from the steps (a period
			// read carries no DanhSachHoSoBoSung): without them, none
			// would look like no request at all, and score 2.
			scores[i].Scores[ratings.Contacts-1] = ratings.Score{Note: "progress steps not read"}
		}
	}
	if out.Report, err = r.rules.Report(p, by, answers, scores); err != nil {
		return RatingsReport{}, err
	}
	out.Elapsed = now().Sub(started)
	r.log.Info("ratings report computed", "period", p.String(), "by", string(by), "answers", out.Answers.Read,
		"dossiers", out.Dossiers.Read, "steps", out.Steps.Read, "rows", len(out.Report.Rows), "elapsed", out.Elapsed)
	return out, nil
}

// pollSource is src as the pipeline polls it: without the streams the
// configuration reads only by period (config.ReportOnly — under the dvcqg
// profile, the rating stream, whose single ratings the portal does not
// take; the monthly summary reads it). It is src itself when there are
// none. The view counts records (Counter) exactly when src does.
func pollSource(cfg *config.Config, src connectors.Source, log *slog.Logger) connectors.Source {
	var hidden []string
	for _, s := range src.Streams() {
		if cfg.ReportOnly(s) {
			hidden = append(hidden, s)
		}
	}
	if len(hidden) == 0 {
		return src
	}
	log.Info("stream read only for the monthly ratings summary, never delivered: the national portal takes no single ratings", "streams", hidden)
	v := &periodOnlyView{Source: src, hidden: hidden}
	if c, ok := src.(connectors.Counter); ok {
		return &countingView{periodOnlyView: v, counter: c}
	}
	return v
}

// periodOnlyView is a source without some of its streams.
type periodOnlyView struct {
	connectors.Source
	hidden []string
}

func (v *periodOnlyView) Streams() []string {
	var out []string
	for _, s := range v.Source.Streams() {
		if !slices.Contains(v.hidden, s) {
			out = append(out, s)
		}
	}
	return out
}

// countingView is a periodOnlyView of a source that counts records.
type countingView struct {
	*periodOnlyView
	counter connectors.Counter
}

func (v *countingView) Count(ctx context.Context, stream string, after connectors.Cursor) (int64, error) {
	return v.counter.Count(ctx, stream, after)
}

var _ connectors.Counter = (*countingView)(nil)
