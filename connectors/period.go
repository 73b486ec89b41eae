package connectors

import (
	"context"
	"time"
)

// PeriodReader is implemented by sources that can hand out, for a
// reporting period [from, to), every record of a stream the period's
// statistics depend on: those received before to that had not finished
// before from (still open, or finished on or after from). Records received
// earlier and finished earlier are left out, so a month's figures never
// read all of history. More records than that do no harm: the statistics
// place each one by its own dates.
//
// Records are handed to fn one at a time as the database returns them, in
// no particular order; a record's Cursor is not meaningful. If fn returns
// an error, reading stops and ReadPeriod returns it. Child lists are not
// read: each configured child is present in Values as nil.
type PeriodReader interface {
	ReadPeriod(ctx context.Context, stream string, from, to time.Time, fn func(Record) error) error
}
