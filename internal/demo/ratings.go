package demo

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"path/filepath"

	"github.com/hcmc-lgsp/lgsp-connector/connectors"
	"github.com/hcmc-lgsp/lgsp-connector/internal/app"
	"github.com/hcmc-lgsp/lgsp-connector/internal/outbox"
	"github.com/hcmc-lgsp/lgsp-connector/internal/sampledata"
	"github.com/hcmc-lgsp/lgsp-connector/internal/sandbox"
	"github.com/hcmc-lgsp/lgsp-connector/packets"
)

// The satisfaction survey of the city part of the demo: a second SQLite
// database in the survey vendor's schema, read by the city connector as
// sources.khao_sat and delivered as DanhGia ratings.

// RatingStream is the survey stream of the demo configuration.
const RatingStream = "danh_gia"

// DefaultRatings is the number of good survey answers the demo writes.
const DefaultRatings = 300

// RatingsSummary is what became of the survey's rows in the city
// connector.
type RatingsSummary struct {
	// The sample: rows in the survey database, of which good answers,
	// kiosk re-sends of good answers, and rows the mapping cannot map
	// (re-sends of those included). They add up.
	SampleRows       int `json:"sample_rows"`
	SampleRatings    int `json:"sample_ratings"`
	SampleResends    int `json:"sample_resends"`
	SampleUnmappable int `json:"sample_unmappable"`
	// What the connector did with them. Read counts the rows its source
	// handed over; Queued the rating packets in the outbox, Delivered
	// those acknowledged. QuarantinedBy counts quarantined rows by the
	// field the mapping rejected (MaCanBo: officer not in the code table,
	// MaTieuChi: question not in the code table). DuplicatesDropped are
	// rows read that became neither a packet nor a quarantine entry: the
	// kiosk's re-sends, dropped by message identity.
	Read              int64          `json:"read"`
	Queued            int            `json:"queued"`
	Delivered         int            `json:"delivered"`
	Quarantined       int            `json:"quarantined"`
	QuarantinedBy     map[string]int `json:"quarantined_by_field"`
	DuplicatesDropped int64          `json:"duplicates_dropped"`
	// Sandbox is the number of distinct ratings the sandbox stored.
	Sandbox int `json:"sandbox_ratings"`
}

// surveyOptions are the survey rows for the demo options: o.Ratings good
// answers about the sample's good dossiers and, unless the run is clean
// (no bad rows), a few answers with an officer or a question the mapping
// does not know and a few kiosk re-sends.
func surveyOptions(o Options) sampledata.SurveyOptions {
	so := sampledata.SurveyOptions{
		Seed: o.Seed, Ratings: o.Ratings,
		// The same options buildLegacy gives Generate: the dossiers exist.
		Dossiers: sampledata.DossierRefs(sampledata.Options{Seed: o.Seed, Dossiers: o.Dossiers, BadRows: o.BadRows}),
	}
	if o.BadRows > 0 {
		so.UnmappedOfficers = max(1, o.Ratings/50)
		so.UnmappedCriteria = max(1, o.Ratings/60)
		so.Resends = max(1, o.Ratings/20)
	}
	return so
}

// buildSurvey writes the survey database at path.
func buildSurvey(ctx context.Context, path string, o Options) (sampledata.SurveyStats, error) {
	db, err := sql.Open("sqlite", "file:"+filepath.ToSlash(path)+"?_pragma=journal_mode(WAL)")
	if err != nil {
		return sampledata.SurveyStats{}, err
	}
	defer db.Close()
	if err := sampledata.CreateSurveySchema(ctx, db, sampledata.SQLite); err != nil {
		return sampledata.SurveyStats{}, err
	}
	return sampledata.GenerateSurvey(ctx, db, sampledata.SQLite, surveyOptions(o))
}

// ratingCounts measures what the city connector did with the survey
// stream: rows read from the source's count before and after the stored
// cursor, packets and quarantine entries from the outbox, ratings stored
// from the sandbox.
func ratingCounts(ctx context.Context, a *app.App, sb *sandbox.Server, gen sampledata.SurveyStats) (RatingsSummary, error) {
	r := RatingsSummary{
		SampleRows: gen.Rows, SampleRatings: gen.Ratings, SampleResends: gen.Resent,
		SampleUnmappable: gen.UnmappedOfficer + gen.UnmappedCriterion, QuarantinedBy: map[string]int{},
	}
	counter, ok := a.Source.(connectors.Counter)
	if !ok {
		return r, fmt.Errorf("demo: the source cannot count the rows of %s", RatingStream)
	}
	all, err := counter.Count(ctx, RatingStream, connectors.Cursor{})
	if err != nil {
		return r, err
	}
	raw, err := a.Store.Cursor(ctx, RatingStream)
	if err != nil {
		return r, err
	}
	var cur connectors.Cursor
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &cur); err != nil {
			return r, fmt.Errorf("demo: stored cursor of %s: %w", RatingStream, err)
		}
	}
	left, err := counter.Count(ctx, RatingStream, cur)
	if err != nil {
		return r, err
	}
	r.Read = all - left
	err = a.Store.Each(ctx, "", func(p outbox.Packet) error {
		if p.Stream == RatingStream {
			r.Queued++
			if p.State == outbox.StateDelivered {
				r.Delivered++
			}
		}
		return nil
	})
	if err != nil {
		return r, err
	}
	q, err := a.Store.Quarantine(ctx, outbox.Filter{Stream: RatingStream, Limit: outbox.MaxQueryLimit})
	if err != nil {
		return r, err
	}
	for _, e := range q {
		r.QuarantinedBy[e.Field]++
	}
	r.Quarantined = len(q)
	r.DuplicatesDropped = r.Read - int64(r.Queued) - int64(r.Quarantined)
	r.Sandbox = sb.Stats().ByKind[string(packets.KindRating)]
	return r, nil
}
