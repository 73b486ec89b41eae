package mapping

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"

	"github.com/hcmc-lgsp/lgsp-connector/packets"
)

// A message's identity decides its message ID (MaGoiTin). By default the
// pipeline derives it from the record's version: row key and update time.
// That is wrong for sources that store the same message twice: a kiosk
// that lost its connection re-sends a rating, and the survey database
// keeps the copy as a new row with a new id and update time. A stream that
// declares identity fields (identity: [MaPhieu]) makes the message its
// mapped values instead, so the copy gets the same message ID and the
// outbox, and any receiver, drop it as a duplicate.

// identityField is one field of a stream's identity.
type identityField struct {
	name   string
	index  int
	kind   valueKind
	column string // for errors; "" when the field is a const or a fill
}

// compileIdentity checks identity: every name is a field of the packet
// body, mapped (an unmapped field would be empty in every record, and all
// records would share one ID), not a list, and named once.
func (c *compiler) compileIdentity(path string, names []string, kind *packetKind, body *structPlan) []identityField {
	if len(names) == 0 {
		return nil
	}
	mapped := map[int]*fieldPlan{}
	for _, f := range body.fields {
		mapped[f.index] = f
	}
	for _, f := range body.fills {
		mapped[f.index] = f
	}
	var out []identityField
	seen := map[int]bool{}
	errsBefore := len(c.errs)
	for i, name := range names {
		ipath := fmt.Sprintf("%s[%d]", path, i)
		name = strings.TrimSpace(name)
		mf, ok := kind.body.field(name)
		switch {
		case name == "":
			c.fail(ipath, "empty: name a field of %s", kind.kind)
			continue
		case !ok:
			c.fail(ipath, "%s has no field %q%s", kind.kind, name, didYouMean(kind.body.suggest(name, false)))
			continue
		case mf.kind == kindList:
			c.fail(ipath, "%s is a list; an identity is made of text, whole-number and date fields", mf.name)
			continue
		case seen[mf.index]:
			c.fail(ipath, "%s is named twice", mf.name)
			continue
		}
		seen[mf.index] = true
		fp := mapped[mf.index]
		if fp == nil {
			c.fail(ipath, "%s is not mapped: it would be empty in every record and all of them would share one message ID; map it under fields:", mf.name)
			continue
		}
		out = append(out, identityField{name: mf.name, index: mf.index, kind: mf.kind, column: fp.column})
	}
	if len(c.errs) > errsBefore {
		return nil
	}
	return out
}

// checkIdentity refuses a record whose identity fields are empty: its
// message could not be told from another's.
func (sp *streamPlan) checkIdentity(body reflect.Value) *Error {
	for _, f := range sp.identity {
		if body.Field(f.index).IsZero() {
			return &Error{Field: f.name, Column: f.column, Reason: fmt.Sprintf(
				"empty, but it identifies the message (mapping.streams.%s.identity); without it a re-sent copy could not be told from a new message: fix the source or map the field from another column",
				sp.name)}
		}
	}
	return nil
}

// IdentityFields returns the packet fields that identify a stream's
// messages (its identity: setting), or nil when the stream has none or
// is not mapped.
func (m *Mapper) IdentityFields(stream string) []string {
	sp := m.stream(stream)
	if sp == nil {
		return nil
	}
	var out []string
	for _, f := range sp.identity {
		out = append(out, f.name)
	}
	return out
}

// Identity returns the identity of a packet that Map built from a record
// of stream, for streams that declare identity fields: each field's name
// and its value on the wire, quoted, joined by "|", e.g.
//
//	MaPhieu="PDG-20251104-000731"
//
// The quoting keeps different values apart whatever characters they hold.
// ok is false when the stream has no identity (its messages are their
// records' versions), is not mapped, or p carries another body. Call it
// on the packet as Map returned it, before anything rewrites the body.
func (m *Mapper) Identity(stream string, p *packets.Packet) (id string, ok bool) {
	sp := m.stream(stream)
	if sp == nil || len(sp.identity) == 0 || p == nil || p.Header.LoaiGoiTin != sp.kind.kind {
		return "", false
	}
	body := sp.kind.bodyOf(p)
	if !body.IsValid() {
		return "", false
	}
	var b strings.Builder
	for i, f := range sp.identity {
		if i > 0 {
			b.WriteByte('|')
		}
		b.WriteString(f.name)
		b.WriteByte('=')
		fv := body.Field(f.index)
		switch f.kind {
		case kindString:
			b.WriteString(strconv.Quote(fv.String()))
		case kindInt:
			b.WriteString(strconv.Quote(strconv.FormatInt(fv.Int(), 10)))
		case kindTime:
			b.WriteString(strconv.Quote(packets.FormatTime(fv.Interface().(packets.Time))))
		}
	}
	return b.String(), true
}
