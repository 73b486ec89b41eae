package logging

import (
	"context"
	"log/slog"
)

// maskingHandler masks the message and every attribute value of a record
// before handing it to the wrapped handler. Attributes given through With
// are masked once, when they are added.
type maskingHandler struct {
	next   slog.Handler
	masker *Masker
	// group is the class inherited from enclosing WithGroup names: inside
	// logger.WithGroup("ChuHoSo") every value is personal.
	group keyClass
}

// NewMaskingHandler wraps next so that personal data and secrets never
// reach it. Use it to add masking to a handler New does not build.
func NewMaskingHandler(next slog.Handler, m *Masker) slog.Handler {
	if m == nil {
		m = defaultMasker
	}
	return &maskingHandler{next: next, masker: m}
}

func (h *maskingHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return h.next.Enabled(ctx, l)
}

func (h *maskingHandler) Handle(ctx context.Context, r slog.Record) error {
	out := slog.NewRecord(r.Time, r.Level, h.masker.String(r.Message), r.PC)
	r.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(h.maskAttr(a, h.group))
		return true
	})
	return h.next.Handle(ctx, out)
}

func (h *maskingHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	masked := make([]slog.Attr, len(attrs))
	for i, a := range attrs {
		masked[i] = h.maskAttr(a, h.group)
	}
	return &maskingHandler{next: h.next.WithAttrs(masked), masker: h.masker, group: h.group}
}

func (h *maskingHandler) WithGroup(name string) slog.Handler {
	return &maskingHandler{next: h.next.WithGroup(name), masker: h.masker, group: h.masker.inherit(h.group, name)}
}

func (h *maskingHandler) maskAttr(a slog.Attr, parent keyClass) slog.Attr {
	c := h.masker.inherit(parent, a.Key)
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindGroup:
		group := v.Group()
		masked := make([]slog.Attr, len(group))
		for i, g := range group {
			masked[i] = h.maskAttr(g, c)
		}
		return slog.Attr{Key: a.Key, Value: slog.GroupValue(masked...)}
	case slog.KindString:
		return slog.String(a.Key, h.masker.text(c, v.String()))
	case slog.KindAny:
		return slog.Any(a.Key, h.masker.value(c, v.Any(), 0))
	default:
		// Numbers, booleans, durations and times carry no personal data
		// unless their key says so.
		if c == classNone || c == classDSN {
			return slog.Attr{Key: a.Key, Value: v}
		}
		return slog.Any(a.Key, h.masker.value(c, v.Any(), 0))
	}
}
