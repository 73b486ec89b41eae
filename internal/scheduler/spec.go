package scheduler

import (
	"fmt"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
)

// parser accepts five fields or six (leading seconds), and descriptors.
var parser = cron.NewParser(cron.SecondOptional | cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// Schedule tells when a job runs next. Next reads a spec without CRON_TZ
// in the zone of the time it is given.
type Schedule interface {
	Next(time.Time) time.Time
}

// ParseSpec parses a schedule the way Add does, so that configuration can
// be checked before anything runs. The error says what is wrong and shows
// an example of what is accepted.
func ParseSpec(spec string) (s Schedule, err error) {
	const help = `ví dụ / e.g. "@every 30s", "0 2 * * *", "*/10 * * * * *"`
	trimmed := strings.TrimSpace(spec)
	if trimmed == "" {
		return nil, fmt.Errorf("lịch trống / empty schedule (%s)", help)
	}
	// robfig/cron slices past the end of a CRON_TZ= prefix that has no
	// fields after it; answer before it can panic.
	if strings.HasPrefix(trimmed, "TZ=") || strings.HasPrefix(trimmed, "CRON_TZ=") {
		if !strings.ContainsAny(trimmed, " \t") {
			return nil, fmt.Errorf("schedule %q: thiếu các trường sau múi giờ / no fields after the time zone (%s)", spec, help)
		}
	}
	defer func() {
		if r := recover(); r != nil {
			s, err = nil, fmt.Errorf("schedule %q: không đọc được / cannot be parsed (%v; %s)", spec, r, help)
		}
	}()
	sched, err := parser.Parse(trimmed)
	if err != nil {
		return nil, fmt.Errorf("schedule %q: không hợp lệ / invalid: %v (%s)", spec, err, help)
	}
	// cron silently turns "@every 0s" or "@every 10ms" into one second and
	// "@every 1.5s" into 1s; an interval the user did not ask for is a
	// surprise, so say so.
	if rest, ok := strings.CutPrefix(trimmed, "@every "); ok {
		if d, perr := time.ParseDuration(strings.TrimSpace(rest)); perr == nil && (d < time.Second || d%time.Second != 0) {
			return nil, fmt.Errorf("schedule %q: khoảng cách phải là số giây nguyên, tối thiểu 1s / interval must be whole seconds, at least 1s", spec)
		}
	}
	return sched, nil
}

// DefaultLocation is Asia/Ho_Chi_Minh, or a fixed UTC+07:00 zone when the
// system has no time-zone database (minimal containers, some Windows
// installs). Viet Nam has kept UTC+7 without daylight saving since 1975,
// so the fixed zone gives the same times.
func DefaultLocation() *time.Location {
	loc, _ := LoadLocation(DefaultTimezone)
	return loc
}

// LoadLocation loads a zone by IANA name; "" means DefaultTimezone.
// Asia/Ho_Chi_Minh (and its old name Asia/Saigon) fall back to a fixed
// UTC+07:00 zone when the time-zone database is missing; other names
// fail then. (Importing time/tzdata in the binary avoids the question.)
func LoadLocation(name string) (*time.Location, error) {
	if name == "" {
		name = DefaultTimezone
	}
	loc, err := time.LoadLocation(name)
	if err == nil {
		return loc, nil
	}
	if name == DefaultTimezone || name == "Asia/Saigon" {
		return time.FixedZone("UTC+07", 7*60*60), nil
	}
	return nil, fmt.Errorf("múi giờ %q không tồn tại / unknown time zone %q: %v", name, name, err)
}
