package mapping

import (
	"reflect"
	"sort"
	"strings"

	"github.com/hcmc-lgsp/lgsp-connector/packets"
)

// valueKind is what a model field holds, as far as mapping cares.
type valueKind uint8

const (
	kindUnsupported valueKind = iota
	kindString
	kindInt
	kindTime
	kindList
)

func (k valueKind) String() string {
	switch k {
	case kindString:
		return "text"
	case kindInt:
		return "whole number"
	case kindTime:
		return "date"
	case kindList:
		return "list"
	}
	return "unsupported"
}

// modelField is one field of a packet body struct, found by reflection so
// the mapping follows the model without a hand-kept list.
type modelField struct {
	name  string
	index int
	kind  valueKind
	typ   reflect.Type
	elem  *modelStruct // item type when kind == kindList
}

// modelStruct describes one struct of the canonical model.
type modelStruct struct {
	name   string // packet kind or Go type name, for messages
	typ    reflect.Type
	fields []modelField
	// byFold finds a field by its name in lower case: the config loader
	// (viper) lower-cases every YAML key, so "MaHoSo" arrives as "mahoso".
	byFold map[string]int
}

var timeType = reflect.TypeFor[packets.Time]()

func describeStruct(name string, t reflect.Type) *modelStruct {
	s := &modelStruct{name: name, typ: t, byFold: map[string]int{}}
	for i := range t.NumField() {
		sf := t.Field(i)
		if !sf.IsExported() {
			continue
		}
		f := modelField{name: sf.Name, index: i, typ: sf.Type}
		switch {
		case sf.Type == timeType:
			f.kind = kindTime
		case sf.Type.Kind() == reflect.String:
			f.kind = kindString
		case sf.Type.Kind() == reflect.Int:
			f.kind = kindInt
		case sf.Type.Kind() == reflect.Slice && sf.Type.Elem().Kind() == reflect.Struct:
			f.kind = kindList
			f.elem = describeStruct(sf.Type.Elem().Name(), sf.Type.Elem())
		}
		s.byFold[strings.ToLower(f.name)] = len(s.fields)
		s.fields = append(s.fields, f)
	}
	return s
}

// field finds a field by name, ignoring case.
func (s *modelStruct) field(name string) (*modelField, bool) {
	i, ok := s.byFold[strings.ToLower(strings.TrimSpace(name))]
	if !ok {
		return nil, false
	}
	return &s.fields[i], true
}

// names lists the fields of one kind group (lists or not), for messages.
func (s *modelStruct) names(lists bool) []string {
	var out []string
	for _, f := range s.fields {
		if (f.kind == kindList) == lists {
			out = append(out, f.name)
		}
	}
	return out
}

// suggest returns the known field name closest to a misspelt one, or "".
func (s *modelStruct) suggest(name string, lists bool) string {
	best, bestDist := "", 0
	lower := strings.ToLower(name)
	for _, n := range s.names(lists) {
		d := editDistance(lower, strings.ToLower(n))
		if best == "" || d < bestDist {
			best, bestDist = n, d
		}
	}
	if bestDist <= max(2, len(name)/4) {
		return best
	}
	// A shortened name ("TrangThai" for TrangThaiHoSo): the shortest
	// field it begins.
	best = ""
	for _, n := range s.names(lists) {
		if len(lower) >= 4 && strings.HasPrefix(strings.ToLower(n), lower) && (best == "" || len(n) < len(best)) {
			best = n
		}
	}
	return best
}

func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

// packetKind is a packet kind the mapping can produce.
type packetKind struct {
	kind packets.Kind
	body *modelStruct
	// attach puts the filled body (a pointer to the body struct) into the
	// packet.
	attach func(p *packets.Packet, body reflect.Value)
	// bodyOf returns the packet's body struct of this kind; the zero Value
	// when the packet has none.
	bodyOf func(p *packets.Packet) reflect.Value
}

// bodyValue is the struct a body pointer points to, or the zero Value for
// a nil pointer.
func bodyValue[T any](body *T) reflect.Value {
	if body == nil {
		return reflect.Value{}
	}
	return reflect.ValueOf(body).Elem()
}

var packetKinds = map[packets.Kind]*packetKind{
	packets.KindDossier: {
		kind: packets.KindDossier,
		body: describeStruct(string(packets.KindDossier), reflect.TypeFor[packets.Dossier]()),
		attach: func(p *packets.Packet, body reflect.Value) {
			p.Dossier = body.Interface().(*packets.Dossier)
		},
		bodyOf: func(p *packets.Packet) reflect.Value { return bodyValue(p.Dossier) },
	},
	packets.KindProgress: {
		kind: packets.KindProgress,
		body: describeStruct(string(packets.KindProgress), reflect.TypeFor[packets.ProgressStep]()),
		attach: func(p *packets.Packet, body reflect.Value) {
			p.Progress = body.Interface().(*packets.ProgressStep)
		},
		bodyOf: func(p *packets.Packet) reflect.Value { return bodyValue(p.Progress) },
	},
	packets.KindRating: {
		kind: packets.KindRating,
		body: describeStruct(string(packets.KindRating), reflect.TypeFor[packets.Rating]()),
		attach: func(p *packets.Packet, body reflect.Value) {
			p.Rating = body.Interface().(*packets.Rating)
		},
		bodyOf: func(p *packets.Packet) reflect.Value { return bodyValue(p.Rating) },
	},
}

func packetKindNames() string {
	var names []string
	for k := range packetKinds {
		names = append(names, string(k))
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}
