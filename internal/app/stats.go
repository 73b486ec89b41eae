package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/hcmc-lgsp/lgsp-connector/connectors"
	"github.com/hcmc-lgsp/lgsp-connector/connectors/dvcqg"
	"github.com/hcmc-lgsp/lgsp-connector/internal/config"
	"github.com/hcmc-lgsp/lgsp-connector/mapping"
	"github.com/hcmc-lgsp/lgsp-connector/stats"
)

// StatsSender sends one month's figures to the national portal
// (DongBoThongKeHoSo). The portal client implements it.
type StatsSender interface {
	SendStats(ctx context.Context, f stats.Figures) error
}

// ErrStatsSenderNotConfigured is what asking to send gives while no portal
// client is configured: the figures are never pretended sent.
var ErrStatsSenderNotConfigured = errors.New("gửi thống kê lên Cổng DVCQG chưa được cấu hình / sending statistics to the national portal (DongBoThongKeHoSo) is not configured")

// NewStatsSender returns the portal sender when dvcqg is enabled. It logs
// in through LGSP like the delivery pipeline does.
func NewStatsSender(_ context.Context, cfg *config.Config, log *slog.Logger) (StatsSender, error) {
	c, err := newPortalSender(cfg, log, ErrStatsSenderNotConfigured)
	if err != nil {
		return nil, err
	}
	return portalStats{c}, nil
}

// newPortalSender is a national-portal client of its own, logging in
// through LGSP like the delivery pipeline does, for the monthly jobs and
// commands that send outside the pipeline; notConfigured when dvcqg is off.
func newPortalSender(cfg *config.Config, log *slog.Logger, notConfigured error) (*dvcqg.Client, error) {
	if !cfg.DVCQG.Enabled {
		return nil, notConfigured
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	client, err := newLGSPClient(cfg, log)
	if err != nil {
		return nil, err
	}
	return newPortal(cfg, client, log)
}

// portalStats sends figures with DongBoThongKeHoSo.
type portalStats struct{ c *dvcqg.Client }

func (p portalStats) SendStats(ctx context.Context, f stats.Figures) error {
	item, err := f.DVCQGItem()
	if err != nil {
		return err
	}
	return p.c.DongBoThongKeHoSo(ctx, item)
}

// StatisticsConfig is the statistics section of cfg.
func StatisticsConfig(cfg *config.Config) stats.Config { return cfg.Statistics }

// StatsOptions adjust ComputeStats.
type StatsOptions struct {
	// Statistics is the statistics section (see StatisticsConfig).
	Statistics stats.Config
	// Mapping are the mapping's run-time options (catalogs …), as Build
	// gives them.
	Mapping mapping.Options
	// Explain asks the source for its query plan of the period, when it
	// can give one.
	Explain bool
	Logger  *slog.Logger
	// SourceSettings lets tests inject settings such as a clock.
	SourceSettings *connectors.Settings
	// Now is the clock of Elapsed; nil means time.Now.
	Now func() time.Time
}

// StatsReport is one computation: the figures, and how it went.
type StatsReport struct {
	Result stats.Result
	Stream string
	// Elapsed is the wall time from the query to the last dossier counted.
	Elapsed time.Duration
	// Plan is the source's query plan, when asked for and available.
	Plan string
	// FullScans lists tables the plan reads in full.
	FullScans []string
}

// statsFields are the dossier fields the statistics read.
var statsFields = []string{"MaHoSo", "TrangThaiHoSo", "NgayTiepNhan", "NgayHenTra", "NgayKetThucXuLy", "NgayTra"}

// statsMapping is the mapping cut down to what the statistics read: the
// dossier stream with only statsFields, as configured, and no lists. A
// dossier whose other fields cannot be mapped (an undecodable name, an
// unknown channel code) is still part of the unit's workload and counts.
func statsMapping(m mapping.Config, stream string) mapping.Config {
	sm := m.Streams[stream]
	fields := map[string]mapping.FieldMapping{}
	for _, name := range statsFields {
		if fm, ok := sm.Fields[name]; ok {
			fields[name] = fm
		}
	}
	sm.Fields, sm.Lists, sm.CatalogDate = fields, nil, ""
	m.Streams = map[string]mapping.StreamMapping{stream: sm}
	return m
}

// periodExplainer is implemented by sources that can show their query plan
// for a period (iso_dientu).
type periodExplainer interface {
	ExplainPeriod(ctx context.Context, stream string, from, to time.Time) (string, []string, error)
}

// ComputeStats computes the figures of period p from the legacy database:
// the source reads the records relevant to the period (one indexed query),
// the mapping turns the fields the statistics read into a dossier exactly
// as for sending (same columns, code tables, date formats), and the stats
// package counts them in the same pass. A record whose fields the mapping
// rejects is counted as not counted, by field, never guessed. The
// period's zone is the zone of its start.
func ComputeStats(ctx context.Context, cfg *config.Config, p stats.Period, o StatsOptions) (StatsReport, error) {
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	now := o.Now
	if now == nil {
		now = time.Now
	}
	sc := o.Statistics
	opts, err := sc.Options(cfg.Unit.Code, cfg.Unit.Name, p.Start.Location())
	if err != nil {
		return StatsReport{}, err
	}
	stream := sc.Stream
	if sm, ok := cfg.Mapping.Streams[stream]; !ok || sm.Packet != "HoSo" {
		return StatsReport{}, fmt.Errorf("statistics.stream %q: cần luồng ánh xạ thành HoSo / must be a stream whose mapping builds HoSo (mapping.streams.%s.packet: HoSo)", stream, stream)
	}
	acc, err := stats.NewAccumulator(p, opts)
	if err != nil {
		return StatsReport{}, err
	}
	mapper, err := mapping.New(statsMapping(cfg.Mapping, stream), o.Mapping)
	if err != nil {
		return StatsReport{}, fmt.Errorf("mapping: %w", err)
	}

	settings := connectors.Settings{Logger: log.With("component", "source")}
	if o.SourceSettings != nil {
		settings = *o.SourceSettings
	}
	src, err := newSource(cfg, settings)
	if err != nil {
		return StatsReport{}, err
	}
	defer func() { _ = src.Shutdown(context.Background()) }()
	reader, ok := src.(connectors.PeriodReader)
	if !ok {
		only := cfg.AllSources()[0] // a Multi of several is always a PeriodReader
		return StatsReport{}, fmt.Errorf("%s.type %q: nguồn này không đọc được theo kỳ / this source cannot read a period, so statistics cannot be computed from it", only.Path, only.Type)
	}
	if err := src.Start(ctx); err != nil {
		return StatsReport{}, fmt.Errorf("source: %w", err)
	}

	rep := StatsReport{Stream: stream}
	if ex, ok := src.(periodExplainer); ok && o.Explain {
		if rep.Plan, rep.FullScans, err = ex.ExplainPeriod(ctx, stream, p.Start, p.End); err != nil {
			return StatsReport{}, err
		}
	}
	started := now()
	err = reader.ReadPeriod(ctx, stream, p.Start, p.End, func(rec connectors.Record) error {
		if re := connectors.RecordErrorOf(rec); re != nil {
			acc.Skip(stats.Reason("source: " + re.Field))
			return nil
		}
		pkt, _, err := mapper.Map(stream, rec.Key, rec.Values)
		if err != nil {
			var me *mapping.Error
			if errors.As(err, &me) {
				acc.Skip(stats.MappingRejected(me.Field))
				return nil
			}
			return fmt.Errorf("mapping stream %q record %s: %w", stream, rec.Key, err)
		}
		if pkt.Dossier == nil {
			return fmt.Errorf("statistics.stream %q: the mapping built a %s packet, not HoSo", stream, pkt.Header.LoaiGoiTin)
		}
		acc.Add(pkt.Dossier)
		return nil
	})
	if err != nil {
		return StatsReport{}, fmt.Errorf("đọc kỳ / reading period %s: %w", p, err)
	}
	rep.Elapsed = now().Sub(started)
	rep.Result = acc.Result()
	log.Info("statistics computed", "period", p.String(), "read", rep.Result.Read,
		"not_counted", rep.Result.ExcludedTotal(), "elapsed", rep.Elapsed)
	return rep, nil
}
