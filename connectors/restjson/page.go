package restjson

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
)

// pageSpec says where a response holds its items and its next-page token.
type pageSpec struct {
	items []string // dot path of the items array; empty: the document is the array
	token []string // dot path of the next-page token; nil: none
}

// page is what one response holds for the connector.
type page struct {
	items []any // decoded items (json.Number for numbers), in response order
	// itemsFound is false when the items field is absent (or null on the
	// way to it); the page then counts as empty.
	itemsFound bool
	token      string // next-page token or URL; "" on the last page
	// rootKeys are the first field names of the document, when it is an
	// object, to tell the user what the response holds.
	rootKeys []string
}

// shapeError says that the document is JSON but not shaped as configured.
type shapeError struct{ msg string }

func (e *shapeError) Error() string { return e.msg }

// errBodyTooLarge is returned while reading a body beyond max_body_size.
var errBodyTooLarge = errors.New("response body larger than max_body_size")

// errTrailing is data after the document.
var errTrailing = errors.New("invalid JSON: more data after the end of the document")

// maxRootKeys bounds the field names kept for messages.
const maxRootKeys = 20

// parsePage decodes one response document as a stream: it walks only the
// fields on the way to the items and the token, decodes items one at a
// time, and skips everything else without building it. A field on those
// paths given twice in one object makes the document ambiguous and is
// refused, as is any data after the document.
func parsePage(r io.Reader, spec pageSpec) (page, error) {
	dec := json.NewDecoder(r)
	dec.UseNumber()
	p := &pageParser{dec: dec, spec: spec}
	if err := p.value(nil); err != nil {
		return page{}, err
	}
	switch _, err := dec.Token(); {
	case err == io.EOF:
	case err == nil:
		return page{}, errTrailing
	default:
		return page{}, err
	}
	return p.out, nil
}

type pageParser struct {
	dec  *json.Decoder
	spec pageSpec
	out  page
}

// value reads the value at path.
func (p *pageParser) value(path []string) error {
	switch {
	case slices.Equal(path, p.spec.items):
		return p.items(path)
	case p.spec.token != nil && slices.Equal(path, p.spec.token):
		return p.token(path)
	case isPrefix(path, p.spec.items) || (p.spec.token != nil && isPrefix(path, p.spec.token)):
		return p.object(path)
	}
	return p.skip()
}

func (p *pageParser) items(path []string) error {
	tok, err := p.dec.Token()
	if err != nil {
		return err
	}
	switch tok {
	case nil: // "items": null — an empty page
		p.out.itemsFound = true
		return nil
	case json.Delim('['):
	default:
		if d, ok := tok.(json.Delim); ok && d == '{' {
			return &shapeError{fmt.Sprintf("%s is a JSON object, not an array of items", describePath(path))}
		}
		return &shapeError{fmt.Sprintf("%s is a JSON %s, not an array of items", describePath(path), tokenKind(tok))}
	}
	p.out.itemsFound = true
	for p.dec.More() {
		var v any
		if err := p.dec.Decode(&v); err != nil {
			return err
		}
		p.out.items = append(p.out.items, v)
	}
	_, err = p.dec.Token() // ]
	return err
}

func (p *pageParser) token(path []string) error {
	var v any
	if err := p.dec.Decode(&v); err != nil {
		return err
	}
	switch x := v.(type) {
	case nil:
	case string:
		p.out.token = x
	case json.Number:
		p.out.token = x.String()
	default:
		return &shapeError{fmt.Sprintf("the next-page token at %s is a JSON %s, not a string", describePath(path), jsonKind(v))}
	}
	return nil
}

// object walks an object on the way to the items or the token. null
// there means the path is absent; another value is a shape error.
func (p *pageParser) object(path []string) error {
	tok, err := p.dec.Token()
	if err != nil {
		return err
	}
	switch tok {
	case nil:
		return nil
	case json.Delim('{'):
	case json.Delim('['):
		if len(path) == 0 {
			return &shapeError{"the response is a JSON array, but items names a field of an object; leave items empty when the response is the array itself"}
		}
		return &shapeError{fmt.Sprintf("%s is a JSON array, not an object", describePath(path))}
	default:
		return &shapeError{fmt.Sprintf("%s is a JSON %s, not an object", describePath(path), tokenKind(tok))}
	}
	seen := map[string]bool{}
	for p.dec.More() {
		kt, err := p.dec.Token()
		if err != nil {
			return err
		}
		key, _ := kt.(string) // object keys are strings
		if len(path) == 0 && len(p.out.rootKeys) < maxRootKeys && !seen[key] {
			p.out.rootKeys = append(p.out.rootKeys, key)
		}
		sub := append(path[:len(path):len(path)], key)
		if seen[key] && p.onPath(sub) {
			return &shapeError{fmt.Sprintf("the response gives the field %s twice", strings.Join(sub, "."))}
		}
		seen[key] = true
		if err := p.value(sub); err != nil {
			return err
		}
	}
	_, err = p.dec.Token() // }
	return err
}

// onPath reports whether path leads to (or is) the items or the token.
func (p *pageParser) onPath(path []string) bool {
	return isPrefix(path, p.spec.items) || slices.Equal(path, p.spec.items) ||
		(p.spec.token != nil && (isPrefix(path, p.spec.token) || slices.Equal(path, p.spec.token)))
}

// skip reads past one value without building it.
func (p *pageParser) skip() error {
	depth := 0
	for {
		tok, err := p.dec.Token()
		if err != nil {
			return err
		}
		if d, ok := tok.(json.Delim); ok {
			if d == '{' || d == '[' {
				depth++
			} else {
				depth--
			}
		}
		if depth == 0 {
			return nil
		}
	}
}

// isPrefix reports whether path is a proper prefix of full.
func isPrefix(path, full []string) bool {
	return len(path) < len(full) && slices.Equal(path, full[:len(path)])
}

func describePath(path []string) string {
	if len(path) == 0 {
		return "the response"
	}
	return "the field " + strings.Join(path, ".")
}

func tokenKind(tok json.Token) string {
	switch tok.(type) {
	case nil:
		return "null"
	case string:
		return "string"
	case json.Number, float64:
		return "number"
	case bool:
		return "boolean"
	}
	return fmt.Sprint(tok)
}

// limitedReader fails with errBodyTooLarge once more than n bytes are read,
// so a huge answer stops the read instead of filling memory. It keeps the
// first bytes for error messages.
type limitedReader struct {
	r    io.Reader
	n    int64 // bytes still allowed
	head []byte
}

const headSize = 160

func (l *limitedReader) Read(b []byte) (int, error) {
	if l.n < 0 {
		return 0, errBodyTooLarge
	}
	if int64(len(b)) > l.n+1 {
		b = b[:l.n+1]
	}
	n, err := l.r.Read(b)
	if len(l.head) < headSize {
		l.head = append(l.head, b[:min(n, headSize-len(l.head))]...)
	}
	l.n -= int64(n)
	if l.n < 0 {
		return n, errBodyTooLarge
	}
	return n, err
}
