package config

import (
	"errors"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/hcmc-lgsp/lgsp-connector/connectors"
	"github.com/hcmc-lgsp/lgsp-connector/mapping"
)

// decodeSource decodes the `source:` section. It may be left out when
// `sources:` names at least one source; with neither, source.type is
// reported as required.
func decodeSource(cfg *Config, tree map[string]any, env *envOverlay, ps *problems) {
	if tree["source"] == nil {
		if m, ok := tree["sources"].(map[string]any); ok && len(m) > 0 {
			return
		}
	}
	cfg.Source = decodeSourceSection([]string{"source"}, tree, env, ps)
}

// sourceNameRE is the form of a name under `sources:`: lowercase
// snake_case, so that its environment variables are unambiguous
// (LGSP_SOURCES_KHAO_SAT_DSN).
var sourceNameRE = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

// decodeSources decodes the `sources:` section: further sources by name,
// each decoded exactly like `source:` (its own type, the connector's
// default config, the environment overlay on its own keys, strict keys).
func decodeSources(cfg *Config, tree map[string]any, env *envOverlay, ps *problems) {
	raw := tree["sources"]
	if raw == nil {
		return
	}
	m, ok := raw.(map[string]any)
	if !ok {
		ps.add("sources", "cần các nguồn theo tên, ví dụ khao_sat: {type: …, các thiết lập của connector}",
			"must be a mapping of source names to source sections, e.g. khao_sat: {type: …, then the connector's settings}")
		return
	}
	cfg.Sources = make(map[string]Source, len(m))
	for _, name := range sortedKeys(m) {
		path := "sources." + name
		if !sourceNameRE.MatchString(name) {
			ps.add(path, "tên nguồn phải viết thường, gồm chữ, số và _, bắt đầu bằng chữ (ví dụ khao_sat)",
				"a source name is lowercase letters, digits and _, starting with a letter (e.g. khao_sat)")
			cfg.Sources[name] = Source{} // unknown streams: no stream checks against it
			continue
		}
		env.apply(tree, []leaf{newLeaf([]string{"sources", name, "type"})}, ps)
		cfg.Sources[name] = decodeSourceSection([]string{"sources", name}, tree, env, ps)
	}
}

// decodeSourceSection reads the type of the section at keys, finds the
// connector, and decodes the rest of the section strictly into the
// connector's default config, after overlaying the environment on the
// connector's own keys (LGSP_SOURCE_DSN, LGSP_SOURCES_KHAO_SAT_DSN).
func decodeSourceSection(keys []string, tree map[string]any, env *envOverlay, ps *problems) Source {
	path := strings.Join(keys, ".")
	raw := valueAt(tree, keys)
	section, ok := raw.(map[string]any)
	if !ok && raw != nil {
		ps.add(path, "cần một nhóm khóa (type: …, các thiết lập của connector)", "must be a mapping (type: …, then the connector's settings)")
		return Source{}
	}
	available := strings.Join(connectors.Types(), ", ")
	rawType := section["type"]
	typ, isText := rawType.(string)
	if rawType != nil && !isText {
		ps.add(path+".type", "cần tên loại nguồn (có sẵn: "+available+")", "must be a source type name (available: "+available+")")
		return Source{}
	}
	typ = strings.TrimSpace(typ)
	src := Source{Type: typ}
	if typ == "" {
		ps.add(path+".type", "bắt buộc (có sẵn: "+available+")", "required (available: "+available+")")
		return src
	}
	factory, found := connectors.Lookup(typ)
	if !found {
		if s := suggest(typ, connectors.Types()); s != "" {
			ps.add(path+".type", "không có loại nguồn "+quote(typ)+" (có phải "+s+"?)", "unknown source type "+quote(typ)+" (did you mean "+s+"?)")
		} else {
			ps.add(path+".type", "không có loại nguồn "+quote(typ)+" (có sẵn: "+available+")", "unknown source type "+quote(typ)+" (available: "+available+")")
		}
		return src
	}
	settings := factory.CreateDefaultConfig()
	target := reflect.ValueOf(settings)
	if settings == nil || target.Kind() != reflect.Pointer || target.IsNil() {
		ps.add(path, "connector "+typ+" lỗi lập trình: CreateDefaultConfig không trả về con trỏ",
			"connector "+typ+" is broken: CreateDefaultConfig must return a non-nil pointer")
		return src
	}

	var leaves []leaf
	collectLeaves(keys, target.Elem(), &leaves)
	env.apply(tree, leaves, ps)
	section, _ = valueAt(tree, keys).(map[string]any)

	rest := make(map[string]any, len(section))
	for k, v := range section {
		if k != "type" {
			rest[k] = v
		}
	}
	(&decoder{ps: ps}).decode(path, rest, target.Elem())
	src.Settings = settings
	return src
}

// valueAt returns the value at keys below tree, or nil.
func valueAt(tree map[string]any, keys []string) any {
	var cur any = tree
	for _, k := range keys {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = m[k]
	}
	return cur
}

// NamedSource is one configured source and where it is configured.
type NamedSource struct {
	// Path is the section's key path, "source" or "sources.<name>". It
	// names the source in errors, doctor checks and logs, so the user
	// finds the section to fix.
	Path string
	Source
}

// AllSources lists the configured sources: `source:` first when it is
// set, then the `sources:` entries by name. The connector polls their
// streams in this order.
func (c *Config) AllSources() []NamedSource {
	var out []NamedSource
	if c.Source.Type != "" {
		out = append(out, NamedSource{Path: "source", Source: c.Source})
	}
	for _, name := range sortedKeys(c.Sources) {
		out = append(out, NamedSource{Path: "sources." + name, Source: c.Sources[name]})
	}
	return out
}

// StreamSource returns the source that serves stream, when its connector
// config can list its streams (a StreamNames method).
func (c *Config) StreamSource(stream string) (NamedSource, bool) {
	for _, ns := range c.AllSources() {
		if s, ok := ns.Settings.(interface{ StreamNames() []string }); ok && ns.Settings != nil && slices.Contains(s.StreamNames(), stream) {
			return ns, true
		}
	}
	return NamedSource{}, false
}

// streamOwners maps every stream to the first source serving it and lists
// the streams a later source serves again. complete is false when some
// source's config cannot list its streams: then a stream missing from the
// map may still exist.
func (c *Config) streamOwners() (owners map[string]string, dups []streamDup, complete bool) {
	owners, complete = map[string]string{}, true
	for _, ns := range c.AllSources() {
		s, ok := ns.Settings.(interface{ StreamNames() []string })
		if !ok || ns.Settings == nil {
			complete = false
			continue
		}
		for _, stream := range s.StreamNames() {
			if first, taken := owners[stream]; taken {
				dups = append(dups, streamDup{stream: stream, first: first, again: ns.Path})
				continue
			}
			owners[stream] = ns.Path
		}
	}
	return owners, dups, complete
}

// streamDup is a stream name served by two sources.
type streamDup struct{ stream, first, again string }

// SourceError rewords an error of a connector configured under
// sources.<name> for where it lives: connectors name their keys from
// `source:` (source.dsn, LGSP_SOURCE_DSN), which would send the user to the
// wrong section. For path "source" it returns err as it is. The result
// unwraps to err.
func SourceError(path string, err error) error {
	if err == nil || path == "source" {
		return err
	}
	return &sourceError{path: path, err: err}
}

type sourceError struct {
	path string
	err  error
}

func (e *sourceError) Error() string { return SourceMessage(e.path, e.err.Error()) }
func (e *sourceError) Unwrap() error { return e.err }

// sourceKeyRE finds key paths under `source:` in a message: at its start
// or after a space, a parenthesis or a quote.
var sourceKeyRE = regexp.MustCompile(`(^|[\s("'])source([.\[])`)

// SourceMessage rewords a connector's text (an error, a check's detail or
// hint) for a source configured at path, as SourceError does: key paths
// under `source:` become the same keys under path, and LGSP_SOURCE_…
// variables path's. For path "source" msg is returned as it is.
func SourceMessage(path, msg string) string {
	if path == "source" {
		return msg
	}
	if rest, ok := strings.CutPrefix(msg, "source: "); ok {
		msg = path + ": " + rest
	}
	msg = sourceKeyRE.ReplaceAllString(msg, "${1}"+path+"${2}")
	return strings.ReplaceAll(msg, envPrefix+"_SOURCE_", envVar(path)+"_")
}

// decodeMapping decodes the mapping section with the mapping package's
// hook, which accepts its short forms (MaHoSo: so_ho_so).
func decodeMapping(cfg *Config, tree map[string]any, ps *problems) {
	d := &decoder{ps: ps, hook: mapping.DecodeHook()}
	d.decode("mapping", tree["mapping"], reflect.ValueOf(&cfg.Mapping).Elem())
}

var keyPathRE = regexp.MustCompile(`^[A-Za-z0-9_.\[\]-]+$`)

// addError records an error returned by a Validate method under section
// (source or mapping). Errors that start with a key path ("dsn: …",
// "source.streams.ho_so.query: …") keep it, prefixed with the section
// when they are relative.
func (ps *problems) addError(section string, err error) {
	path, msg := section, err.Error()
	var ce *mapping.ConfigError
	if errors.As(err, &ce) {
		path, msg = ce.Path, ce.Reason
	} else if p, m, ok := strings.Cut(msg, ": "); ok && keyPathRE.MatchString(p) {
		path, msg = p, m
	}
	if path != section && !strings.HasPrefix(path, section+".") && !strings.HasPrefix(path, section+"[") {
		path = section + "." + path
	}
	ps.addMsg(path, msg)
}

func quote(s string) string { return strconv.Quote(s) }
