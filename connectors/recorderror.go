package connectors

// RecordErrorKey is the Values key under which a source attaches a
// *RecordError to a row it could read but not make sense of (e.g. a NULL
// cursor column). The pipeline quarantines such a row with the reason and
// moves on; the source still advances its cursor past it.
const RecordErrorKey = "__record_error"

// RecordError explains why a raw row cannot be used.
type RecordError struct {
	Field  string // column or field concerned
	Value  string // offending value, as text
	Reason string
}

func (e *RecordError) Error() string { return e.Field + " " + quote(e.Value) + ": " + e.Reason }

func quote(s string) string {
	const max = 80
	if len(s) > max {
		s = s[:max] + "…"
	}
	return "\"" + s + "\""
}

// RecordErrorOf returns the error a source attached to rec, if any.
func RecordErrorOf(rec Record) *RecordError {
	if rec.Values == nil {
		return nil
	}
	e, _ := rec.Values[RecordErrorKey].(*RecordError)
	return e
}
