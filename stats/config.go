package stats

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Defaults of the statistics section.
const (
	// DefaultSchedule runs the job at 02:00 on the 1st of every month (in
	// schedule.timezone), for the month before.
	DefaultSchedule = "0 2 1 * *"
	// DefaultStream is the source stream whose records are dossiers.
	DefaultStream = "ho_so"
)

// Config is the `statistics:` section of the connector's YAML. A missing
// section means the defaults, with the monthly job off.
type Config struct {
	// Enabled turns the monthly job on (sending needs the national portal
	// client). The on-demand command works without it.
	Enabled bool `mapstructure:"enabled"`
	// Schedule is the job's cron spec. This package does not parse it; the
	// scheduler does.
	Schedule string `mapstructure:"schedule"`
	// Stream is the source stream of dossiers (its mapping must build HoSo).
	Stream string `mapstructure:"stream"`
	// Compare is day (default) or instant.
	Compare string `mapstructure:"compare"`
	// DeadlineBasis is calendar (default) or working_days.
	DeadlineBasis string `mapstructure:"deadline_basis"`
	// Weekend names the non-working weekdays in English (saturday, sunday)
	// for the working_days basis.
	Weekend []string `mapstructure:"weekend"`
	// Holidays are non-working dates, YYYY-MM-DD, for the working_days
	// basis (public holidays and official make-up days off).
	Holidays []string `mapstructure:"holidays"`
	// Statuses sort TrangThaiHoSo codes; each list given replaces its
	// default.
	Statuses StatusRules `mapstructure:"statuses"`
	// Note is sent as GhiChu.
	Note string `mapstructure:"note"`
}

// DefaultConfig is the section with every default filled in.
func DefaultConfig() Config {
	return Config{
		Schedule:      DefaultSchedule,
		Stream:        DefaultStream,
		Compare:       string(CompareDay),
		DeadlineBasis: string(BasisCalendar),
		Weekend:       []string{"saturday", "sunday"},
		Statuses:      DefaultStatusRules(),
	}
}

// Validate reports every problem at once, each with its key path under
// prefix (normally "statistics").
func (c Config) Validate(prefix string) []error {
	_, errs := c.options(prefix)
	return errs
}

// Options turns the section into computation options for the unit, with
// periods read in loc (nil: Asia/Ho_Chi_Minh).
func (c Config) Options(unitCode, unitName string, loc *time.Location) (Options, error) {
	o, errs := c.options("statistics")
	if len(errs) > 0 {
		return Options{}, errors.Join(errs...)
	}
	o.Location, o.UnitCode, o.UnitName = loc, unitCode, unitName
	if _, err := o.resolve(); err != nil {
		return Options{}, err
	}
	return o, nil
}

func (c Config) options(prefix string) (Options, []error) {
	var errs []error
	add := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s.%s: %s", prefix, key, fmt.Sprintf(format, args...)))
	}
	o := Options{Compare: Comparison(c.Compare), Basis: DeadlineBasis(c.DeadlineBasis), Statuses: c.Statuses, Note: c.Note}
	if strings.TrimSpace(c.Stream) == "" {
		add("stream", "is required: the source stream of dossiers, e.g. %s", DefaultStream)
	}
	switch o.Compare {
	case CompareDay, CompareInstant:
	default:
		add("compare", "%q is not day or instant", c.Compare)
	}
	switch o.Basis {
	case BasisCalendar, BasisWorkingDays:
	default:
		add("deadline_basis", "%q is not calendar or working_days", c.DeadlineBasis)
	}
	o.Weekend = []time.Weekday{}
	days := map[time.Weekday]bool{}
	for i, name := range c.Weekend {
		d, ok := weekdayByName[strings.ToLower(strings.TrimSpace(name))]
		if !ok {
			add(fmt.Sprintf("weekend[%d]", i), "%q is not a weekday; write monday … sunday", name)
			continue
		}
		o.Weekend = append(o.Weekend, d)
		days[d] = true
	}
	if len(days) == 7 {
		add("weekend", "lists every day of the week; leave at least one working day")
	}
	for i, s := range c.Holidays {
		d, err := ParseDate(s)
		if err != nil {
			add(fmt.Sprintf("holidays[%d]", i), "%v", err)
			continue
		}
		o.Holidays = append(o.Holidays, d)
	}
	if c.Statuses.isZero() {
		add("statuses", "lists no status; remove the key to use the defaults")
	} else {
		_, serrs := c.Statuses.classes(prefix + ".statuses")
		errs = append(errs, serrs...)
	}
	return o, errs
}

var weekdayByName = map[string]time.Weekday{
	"sunday": time.Sunday, "monday": time.Monday, "tuesday": time.Tuesday, "wednesday": time.Wednesday,
	"thursday": time.Thursday, "friday": time.Friday, "saturday": time.Saturday,
}
