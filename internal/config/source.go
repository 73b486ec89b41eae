package config

import (
	"errors"
	"reflect"
	"regexp"
	"strconv"
	"strings"

	"github.com/hcmc-lgsp/lgsp-connector/connectors"
	"github.com/hcmc-lgsp/lgsp-connector/mapping"
)

// decodeSource reads source.type, finds the connector, and decodes the rest
// of the section strictly into the connector's default config, after
// overlaying the environment on the connector's own keys (LGSP_SOURCE_DSN).
func decodeSource(cfg *Config, tree map[string]any, env *envOverlay, ps *problems) {
	section, ok := tree["source"].(map[string]any)
	if !ok && tree["source"] != nil {
		ps.add("source", "cần một nhóm khóa (type: …, các thiết lập của connector)", "must be a mapping (type: …, then the connector's settings)")
		return
	}
	available := strings.Join(connectors.Types(), ", ")
	rawType := section["type"]
	typ, isText := rawType.(string)
	if rawType != nil && !isText {
		ps.add("source.type", "cần tên loại nguồn (có sẵn: "+available+")", "must be a source type name (available: "+available+")")
		return
	}
	typ = strings.TrimSpace(typ)
	cfg.Source.Type = typ
	if typ == "" {
		ps.add("source.type", "bắt buộc (có sẵn: "+available+")", "required (available: "+available+")")
		return
	}
	factory, found := connectors.Lookup(typ)
	if !found {
		if s := suggest(typ, connectors.Types()); s != "" {
			ps.add("source.type", "không có loại nguồn "+quote(typ)+" (có phải "+s+"?)", "unknown source type "+quote(typ)+" (did you mean "+s+"?)")
		} else {
			ps.add("source.type", "không có loại nguồn "+quote(typ)+" (có sẵn: "+available+")", "unknown source type "+quote(typ)+" (available: "+available+")")
		}
		return
	}
	settings := factory.CreateDefaultConfig()
	target := reflect.ValueOf(settings)
	if settings == nil || target.Kind() != reflect.Pointer || target.IsNil() {
		ps.add("source", "connector "+typ+" lỗi lập trình: CreateDefaultConfig không trả về con trỏ",
			"connector "+typ+" is broken: CreateDefaultConfig must return a non-nil pointer")
		return
	}

	var leaves []leaf
	collectLeaves([]string{"source"}, target.Elem(), &leaves)
	env.apply(tree, leaves, ps)
	section, _ = tree["source"].(map[string]any)

	rest := make(map[string]any, len(section))
	for k, v := range section {
		if k != "type" {
			rest[k] = v
		}
	}
	(&decoder{ps: ps}).decode("source", rest, target.Elem())
	cfg.Source.Settings = settings
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
