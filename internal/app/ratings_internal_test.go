package app

import (
	"context"
	"log/slog"
	"slices"
	"testing"

	"github.com/hcmc-lgsp/lgsp-connector/connectors"
	"github.com/hcmc-lgsp/lgsp-connector/internal/config"
	"github.com/hcmc-lgsp/lgsp-connector/mapping"
)

// streamsSource serves streams and reads nothing.
type streamsSource struct{ streams []string }

func (s streamsSource) Streams() []string            { return s.streams }
func (streamsSource) Start(context.Context) error    { return nil }
func (streamsSource) Shutdown(context.Context) error { return nil }
func (streamsSource) Read(context.Context, string, connectors.Cursor, int) (connectors.Batch, error) {
	return connectors.Batch{}, nil
}

// countingSource also counts: 7 records in every stream.
type countingSource struct{ streamsSource }

func (countingSource) Count(context.Context, string, connectors.Cursor) (int64, error) { return 7, nil }

func portalConfig(profile string) *config.Config {
	return &config.Config{
		LGSP:    config.LGSP{Profile: profile},
		Ratings: config.Ratings{Stream: "danh_gia"},
		Mapping: mapping.Config{Streams: map[string]mapping.StreamMapping{
			"ho_so": {Packet: "HoSo"}, "qua_trinh_xu_ly": {Packet: "TienDoXuLy"}, "danh_gia": {Packet: "DanhGia"},
		}},
	}
}

// Under the dvcqg profile the pipeline never polls the rating stream (the
// portal takes no single ratings); it still counts the others when the
// source can. Under hcm-lgsp the source is polled whole.
func TestPollSource(t *testing.T) {
	log := slog.New(slog.DiscardHandler)
	all := []string{"ho_so", "qua_trinh_xu_ly", "danh_gia"}

	plain := streamsSource{all}
	v := pollSource(portalConfig("dvcqg"), plain, log)
	if got := v.Streams(); !slices.Equal(got, []string{"ho_so", "qua_trinh_xu_ly"}) {
		t.Errorf("dvcqg: polled streams %v, want ho_so and qua_trinh_xu_ly", got)
	}
	if _, ok := v.(connectors.Counter); ok {
		t.Error("the view of a source that cannot count claims to count")
	}

	counting := &countingSource{streamsSource{all}}
	v = pollSource(portalConfig("dvcqg"), counting, log)
	c, ok := v.(connectors.Counter)
	if !ok {
		t.Fatal("the view of a counting source does not count")
	}
	if n, err := c.Count(context.Background(), "ho_so", connectors.Cursor{}); n != 7 || err != nil {
		t.Errorf("Count = %d, %v; want the source's 7", n, err)
	}
	if !slices.Equal(v.Streams(), []string{"ho_so", "qua_trinh_xu_ly"}) {
		t.Errorf("counting view streams %v", v.Streams())
	}

	if got := pollSource(portalConfig("hcm-lgsp"), counting, log); got != connectors.Source(counting) {
		t.Errorf("hcm-lgsp: the source was wrapped (%T); single ratings are delivered there", got)
	}
	notRating := portalConfig("dvcqg")
	notRating.Ratings.Stream = "ho_so" // a mistake must never hide the dossiers
	if got := pollSource(notRating, plain, log).Streams(); !slices.Equal(got, all) {
		t.Errorf("ratings.stream naming a HoSo stream: polled %v, want every stream", got)
	}
}
