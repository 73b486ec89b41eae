package config

import (
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Redacted renders the effective configuration (defaults, file and
// environment merged, paths resolved) as YAML for `lgsp-connector config
// show`, with secrets as [REDACTED]. Each source's settings (`source:` and
// every entry of `sources:`) are printed through their Redact() method
// when they have one; otherwise keys that look like a connection string
// are shown only if their type prints itself differently from its raw
// value (i.e. redacts itself), and left out if not.
func (c *Config) Redacted() string {
	root := mappingNode()
	v := reflect.ValueOf(c).Elem()
	for _, f := range structFields(v.Type()) {
		var n *yaml.Node
		switch f.key {
		case "source":
			n = sourceNode(c.Source)
		case "sources":
			if len(c.Sources) == 0 {
				continue
			}
			n = mappingNode()
			for _, name := range sortedKeys(c.Sources) {
				addPair(n, name, sourceNode(c.Sources[name]))
			}
		case "mapping":
			n = valueNode("mapping", v.FieldByIndex(f.index), true)
		default:
			n = valueNode(f.key, v.FieldByIndex(f.index), false)
		}
		addPair(root, f.key, n)
	}
	var b strings.Builder
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(root); err != nil {
		// Only reachable through a bug in building the node tree.
		return fmt.Sprintf("# cannot render configuration: %v\n", err)
	}
	_ = enc.Close()
	return b.String()
}

// sourceNode renders a source section: its type, then its connector's
// settings.
func sourceNode(src Source) *yaml.Node {
	n := mappingNode()
	addPair(n, "type", scalar("!!str", src.Type))
	settings := src.Settings
	if settings == nil {
		return n
	}
	if r, ok := settings.(interface{ Redact() any }); ok {
		settings = r.Redact()
	}
	body := valueNode("source", reflect.ValueOf(settings), true)
	if body != nil && body.Kind == yaml.MappingNode {
		n.Content = append(n.Content, body.Content...)
	}
	return n
}

func mappingNode() *yaml.Node { return &yaml.Node{Kind: yaml.MappingNode} }

func scalar(tag, value string) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: tag, Value: value}
}

func addPair(m *yaml.Node, key string, value *yaml.Node) {
	if value == nil {
		return
	}
	m.Content = append(m.Content, scalar("!!str", key), value)
}

var stringerType = reflect.TypeFor[fmt.Stringer]()

// valueNode renders v, found under key. With omitZero, zero values are
// left out (the mapping and connector sections have many optional keys);
// the top-level sections show every key so users can see the defaults.
// It returns nil for a value to leave out.
func valueNode(key string, v reflect.Value, omitZero bool) *yaml.Node {
	if !v.IsValid() {
		return nil
	}
	if omitZero && v.IsZero() {
		return nil
	}
	t := v.Type()
	switch {
	case t == reflect.TypeFor[Secret]():
		return scalar("!!str", v.Interface().(Secret).String())
	case t == durationType:
		return scalar("!!str", fmtDur(time.Duration(v.Int())))
	case t.Kind() == reflect.String && isSecretKey(key):
		if v.String() == "" {
			return scalar("!!str", "")
		}
		return scalar("!!str", redacted)
	case t.Kind() == reflect.String && isDSNKey(key):
		// Show a connection string only if its type redacts it.
		if t.Implements(stringerType) {
			if shown := v.Interface().(fmt.Stringer).String(); shown != v.String() {
				return scalar("!!str", shown)
			}
		}
		return nil
	case t.Kind() == reflect.String && t.Implements(stringerType):
		return scalar("!!str", v.Interface().(fmt.Stringer).String())
	}
	switch t.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return nil
		}
		// A set pointer is shown even when it points to zero: "lag: 0s"
		// differs from no lag setting at all.
		elem := v.Elem()
		return valueNode(key, elem, omitZero && !elem.IsZero())
	case reflect.String:
		return scalar("!!str", v.String())
	case reflect.Bool:
		return scalar("!!bool", strconv.FormatBool(v.Bool()))
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return scalar("!!int", strconv.FormatInt(v.Int(), 10))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return scalar("!!int", strconv.FormatUint(v.Uint(), 10))
	case reflect.Float32, reflect.Float64:
		return scalar("!!float", strconv.FormatFloat(v.Float(), 'g', -1, 64))
	case reflect.Slice, reflect.Array:
		if v.Len() == 0 {
			return nil
		}
		n := &yaml.Node{Kind: yaml.SequenceNode}
		for i := 0; i < v.Len(); i++ {
			if item := valueNode(key, v.Index(i), false); item != nil {
				n.Content = append(n.Content, item)
			}
		}
		return n
	case reflect.Map:
		if v.Len() == 0 {
			return nil
		}
		keys := make([]string, 0, v.Len())
		byKey := map[string]reflect.Value{}
		for _, k := range v.MapKeys() {
			s := fmt.Sprint(k.Interface())
			keys = append(keys, s)
			byKey[s] = k
		}
		sort.Strings(keys)
		n := mappingNode()
		for _, k := range keys {
			addPair(n, k, valueNode(k, v.MapIndex(byKey[k]), omitZero))
		}
		return n
	case reflect.Struct:
		n := mappingNode()
		for _, f := range structFields(t) {
			addPair(n, f.key, valueNode(f.key, v.FieldByIndex(f.index), omitZero))
		}
		return n
	}
	return nil
}

// isSecretKey: passwords, passphrases, client secrets, tokens, API keys.
func isSecretKey(key string) bool {
	k := normalize(key)
	for _, s := range []string{"password", "passwd", "passphrase", "secret", "token", "apikey"} {
		if strings.HasSuffix(k, s) {
			return true
		}
	}
	return false
}

// isDSNKey: connection strings, which carry a password inside.
func isDSNKey(key string) bool {
	k := normalize(key)
	return strings.Contains(k, "dsn") || strings.Contains(k, "connectionstring") || strings.Contains(k, "connstr")
}
