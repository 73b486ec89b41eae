package config

import (
	"fmt"
	"strings"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/hcmc-lgsp/lgsp-connector/packets"
	"github.com/hcmc-lgsp/lgsp-connector/ratings"
)

// Defaults of the ratings section's wiring keys.
const (
	// DefaultRatingsSchedule runs the monthly job at 03:00 on the 1st (in
	// schedule.timezone), an hour after the statistics, for the month
	// before.
	DefaultRatingsSchedule = "0 3 1 * *"
	// DefaultRatingsStream is the stream of survey answers.
	DefaultRatingsStream = "danh_gia"
	// DefaultStepsStream is the stream of progress steps.
	DefaultStepsStream = "qua_trinh_xu_ly"
	// DefaultStepsLookback is how long before a period its dossiers' steps
	// are read: a dossier finished in October may have been received, and
	// handled by its first departments, months before.
	DefaultStepsLookback = 180 * 24 * time.Hour
	// DefaultQuestionText is NoiDung of the overall question when
	// ratings.questions is not given.
	DefaultQuestionText = "Mức độ hài lòng về việc giải quyết thủ tục hành chính"
)

// maxStepsLookback bounds ratings.steps_lookback: ten years of steps is
// already all of any legacy database.
const maxStepsLookback = 3650 * 24 * time.Hour

// Ratings is the `ratings:` section (docs/ratings.md): the rules of the
// ratings package, at the top level of the section, and how the connector
// reads the answers, dossiers and progress steps and when it sends the
// monthly DongBoDanhGia summary. A missing section means the defaults,
// with the monthly job off.
type Ratings struct {
	// Rules are the scoring rules, criteria, bands and summary options
	// (ratings.Config), written at the top level of the section.
	Rules ratings.Config `mapstructure:",squash"`
	// Enabled turns the monthly job on (sending needs the dvcqg section).
	// The on-demand `ratings` command works without it.
	Enabled bool `mapstructure:"enabled"`
	// Schedule is the monthly job's cron spec; the job sends the previous
	// month.
	Schedule string `mapstructure:"schedule"`
	// Stream is the stream of survey answers; its mapping must build
	// DanhGia, and the source must read it by period (for iso_dientu, its
	// statistics: received and finished both on the answer's time).
	Stream string `mapstructure:"stream"`
	// DossierStream is the stream of dossiers (HoSo) the indicators
	// computed from records read; "" means statistics.stream.
	DossierStream string `mapstructure:"dossier_stream"`
	// StepsStream is the stream of progress steps (TienDoXuLy); "" scores
	// without steps (indicators 2, 3 and 4 then not known).
	StepsStream string `mapstructure:"steps_stream"`
	// StepsLookback is how long before the period the steps of its
	// dossiers are read.
	StepsLookback time.Duration `mapstructure:"steps_lookback"`
	// Questions map a question's code (MaTieuChi; "" the overall
	// question) to its text, sent as NoiDung in DongBoDanhGia: one item
	// per question. Empty: one item per overall question, with
	// DefaultQuestionText.
	Questions map[string]string `mapstructure:"questions"`
}

func defaultRatings() Ratings {
	return Ratings{
		Rules:         ratings.DefaultConfig(),
		Schedule:      DefaultRatingsSchedule,
		Stream:        DefaultRatingsStream,
		StepsStream:   DefaultStepsStream,
		StepsLookback: DefaultStepsLookback,
	}
}

// SummaryQuestions are the questions of the monthly summary, code → text:
// ratings.questions, or each overall question with DefaultQuestionText.
func (r Ratings) SummaryQuestions() map[string]string {
	out := map[string]string{}
	if len(r.Questions) > 0 {
		for code, text := range r.Questions {
			out[strings.TrimSpace(code)] = strings.TrimSpace(text)
		}
		return out
	}
	for _, q := range r.Rules.OverallQuestions {
		out[strings.TrimSpace(q)] = DefaultQuestionText
	}
	return out
}

// ReportOnly reports whether stream is read only by period, for the
// ratings summary and reports, and never polled for delivery: under the
// dvcqg profile, the rating stream (ratings.stream, mapped to DanhGia),
// because the national portal takes no single ratings.
func (c *Config) ReportOnly(stream string) bool {
	if c.LGSP.Profile != packets.ProfileDVCQG || stream != c.Ratings.Stream {
		return false
	}
	sm, ok := c.Mapping.Streams[stream]
	return ok && strings.TrimSpace(sm.Packet) == string(packets.KindRating)
}

// validateRatings checks the `ratings:` section: the rules and questions
// always (the on-demand `ratings` command uses them); the schedule and the
// streams it names when the monthly job is enabled (default stream names
// may mean something else in an installation that does not use ratings);
// and, under the dvcqg profile, that no stream other than the rating
// stream maps to single ratings.
func (c *Config) validateRatings(k *checker) {
	r := &c.Ratings
	for _, err := range r.Rules.Validate("ratings") {
		if p := errorPath("ratings", err); !k.blocked(p) {
			k.ps.addError("ratings", err)
		}
	}
	if strings.TrimSpace(r.DossierStream) == "" {
		r.DossierStream = c.Statistics.Stream
	}
	k.durationRange("ratings.steps_lookback", r.StepsLookback, 0, maxStepsLookback)

	scored := map[string]int{}
	for i, cr := range r.Rules.Criteria {
		scored[strings.TrimSpace(cr.Code)] = i
	}
	seen := map[string]string{}
	for _, code := range sortedKeys(r.Questions) {
		path := "ratings.questions." + code
		trimmed := strings.TrimSpace(code)
		if first, dup := seen[trimmed]; dup {
			k.fail(path, fmt.Sprintf("trùng mã câu hỏi %q với %q", trimmed, first), fmt.Sprintf("the same question code %q as %q", trimmed, first))
		}
		seen[trimmed] = code
		if strings.TrimSpace(r.Questions[code]) == "" {
			k.fail(path, "cần nội dung câu hỏi (gửi thành NoiDung)", "needs the question's text (sent as NoiDung)")
		}
		if i, ok := scored[trimmed]; ok {
			k.fail(path, fmt.Sprintf("là tiêu chí chấm điểm (ratings.criteria[%d]); bản tổng hợp chỉ đếm mức độ hài lòng", i),
				fmt.Sprintf("is a scored criterion (ratings.criteria[%d]); the summary counts satisfaction levels only", i))
		}
	}

	if c.LGSP.Profile == packets.ProfileDVCQG {
		for _, name := range sortedKeys(c.Mapping.Streams) {
			if name == r.Stream || strings.TrimSpace(c.Mapping.Streams[name].Packet) != string(packets.KindRating) {
				continue
			}
			k.fail("mapping.streams."+name+".packet",
				fmt.Sprintf("Cổng DVCQG không nhận từng phiếu đánh giá (DanhGia), chỉ nhận bản tổng hợp tháng DongBoDanhGia; đặt ratings.stream: %s để chỉ đọc luồng này cho bản tổng hợp, hoặc gửi từng phiếu với lgsp.profile hcm-lgsp", name),
				fmt.Sprintf("the national portal takes no single ratings (DanhGia), only their monthly summary (DongBoDanhGia); set ratings.stream: %s to read this stream for the summary only, or send single ratings with lgsp.profile hcm-lgsp", name))
		}
	}

	if !r.Enabled {
		return
	}
	parser := cron.NewParser(cron.SecondOptional | cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)
	if _, err := parser.Parse(r.Schedule); err != nil {
		k.fail("ratings.schedule", "lịch cron không hợp lệ: "+err.Error(), "invalid cron schedule: "+err.Error())
	}
	if !c.DVCQG.Enabled {
		k.fail("ratings.enabled", "gửi tổng hợp đánh giá cần bật mục dvcqg", "sending the ratings summary needs the dvcqg section enabled")
	}
	if _, ok := c.Mapping.Streams[r.Stream]; !ok && strings.TrimSpace(r.Stream) != "" {
		k.fail("ratings.stream", "luồng không có trong mapping.streams: "+quote(r.Stream),
			"stream is not in mapping.streams: "+quote(r.Stream))
	}
	for _, s := range []struct {
		key, name string
		kind      packets.Kind
	}{
		{"ratings.stream", r.Stream, packets.KindRating},
		{"ratings.dossier_stream", r.DossierStream, packets.KindDossier},
		{"ratings.steps_stream", r.StepsStream, packets.KindProgress},
	} {
		// The dossiers and steps are not needed by the job (the summary
		// counts answers only); the command reading them checks they exist.
		sm, ok := c.Mapping.Streams[s.name]
		if got := strings.TrimSpace(sm.Packet); ok && got != "" && got != string(s.kind) {
			k.fail(s.key, fmt.Sprintf("luồng %q ánh xạ thành %s, cần %s (mapping.streams.%s.packet)", s.name, got, s.kind, s.name),
				fmt.Sprintf("stream %q maps to %s, want %s (mapping.streams.%s.packet)", s.name, got, s.kind, s.name))
		}
	}
}
