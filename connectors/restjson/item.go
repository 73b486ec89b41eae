package restjson

import (
	"crypto/sha256"
	"encoding/hex"
	"time"

	"github.com/hcmc-lgsp/lgsp-connector/connectors"
)

// itemSpec is what turns a decoded item into a record.
type itemSpec struct {
	stream  string
	items   string // the items path as configured, for messages
	key     []string
	keyName string
	keyType string
	upd     []string
	updName string
	formats []timeFormat
	loc     *time.Location
	fields  []fieldPick // nil: every top-level field
}

// fieldPick is one entry of streams.<name>.fields.
type fieldPick struct {
	path   []string
	column string
}

// item is one decoded item made into a record, with what the read needs
// to place it.
type item struct {
	rec connectors.Record
	// placed: key and update time are readable; pos is the item's
	// position and rec.Cursor is set by the read.
	placed bool
	pos    connectors.Cursor
	// timed: the update time is readable (the key may not be).
	timed   bool
	updated time.Time
	// id fingerprints the item's content; it tells apart items that carry
	// a record error, which have no position of their own.
	id string
}

// makeItem builds the record of one item. An item that is not an object,
// or whose key or update time cannot be read, still becomes a record: it
// carries a *connectors.RecordError naming the field and the reason, so
// the pipeline quarantines it instead of losing it.
func (sp *itemSpec) makeItem(v any) item {
	sum := sha256.Sum256([]byte(jsonText(v)))
	it := item{id: hex.EncodeToString(sum[:]), rec: connectors.Record{Stream: sp.stream}}
	short := it.id[:8]

	obj, ok := v.(map[string]any)
	if !ok {
		field := sp.items
		if field == "" {
			field = "(item)"
		}
		it.rec.Key = "#" + short
		it.rec.Values = map[string]any{connectors.RecordErrorKey: &connectors.RecordError{
			Field:  field,
			Value:  "(" + jsonKind(v) + ")",
			Reason: "the item is a JSON " + jsonKind(v) + ", not an object; every element of the items array must be an object",
		}}
		return it
	}
	it.rec.Values = sp.values(obj)

	rawUpd, updPresent := lookup(obj, sp.upd)
	rawKey, keyPresent := lookup(obj, sp.key)
	var updated time.Time
	var uerr, kerr error
	if updPresent {
		updated, uerr = parseTime(rawUpd, sp.formats, sp.loc)
	} else {
		uerr = errMissing
	}
	var key string
	if keyPresent {
		key, kerr = parseKey(rawKey, sp.keyType)
	} else {
		kerr = errMissing
	}
	switch {
	case uerr != nil:
		if kerr == nil {
			it.rec.Key = key
		} else {
			it.rec.Key = badKey(rawKey, keyPresent, short)
		}
		it.rec.Values[connectors.RecordErrorKey] = &connectors.RecordError{
			Field: sp.updName, Value: rawText(rawUpd, updPresent),
			Reason: "updated " + uerr.Error() + "; the item cannot be placed in time — the vendor must fill it, or list its form under updated_format",
		}
	case kerr != nil:
		it.timed, it.updated = true, updated
		it.rec.Key = badKey(rawKey, keyPresent, short)
		it.rec.Values[connectors.RecordErrorKey] = &connectors.RecordError{
			Field: sp.keyName, Value: rawText(rawKey, keyPresent),
			Reason: "key " + kerr.Error() + "; the item cannot be identified — key must name a field unique per item",
		}
	default:
		it.placed, it.timed, it.updated = true, true, updated
		it.pos = connectors.Cursor{Updated: updated, Key: key}
		it.rec.Key = key
	}
	return it
}

// badKey is the record key of an item whose key cannot be read: its raw
// text, if any, and a fingerprint of the item, so two such items never
// share a quarantine entry.
func badKey(raw any, present bool, short string) string {
	if t := rawText(raw, present); t != "" {
		return t + "#" + short
	}
	return "#" + short
}

// values are the record's columns: the picked fields, or every top-level
// field of the item.
func (sp *itemSpec) values(obj map[string]any) map[string]any {
	if sp.fields == nil {
		out := make(map[string]any, len(obj)+1)
		for k, v := range obj {
			out[k] = column(v)
		}
		// The key is the connector's own; an item field of that name is
		// not the connector's verdict.
		delete(out, connectors.RecordErrorKey)
		return out
	}
	out := make(map[string]any, len(sp.fields)+1)
	for _, f := range sp.fields {
		v, _ := lookup(obj, f.path) // absent: NULL for the mapping
		out[f.column] = column(v)
	}
	return out
}
