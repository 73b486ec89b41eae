package config

import (
	"fmt"
	"sort"
	"strings"
)

// Problem is one thing wrong with the configuration.
type Problem struct {
	// Path is the key path, e.g. lgsp.base_url; "" for the file as a
	// whole (a YAML syntax error).
	Path string
	// Line is the line in the config file the problem was found at; 0 when
	// the value came from a default or an environment variable, or the key
	// is missing.
	Line int
	// Message says what is wrong and what to write instead, in Vietnamese
	// then English: "bắt buộc / required".
	Message string
}

// String renders "path: message", the form the bad-config tests compare.
func (p Problem) String() string {
	if p.Path == "" {
		return p.Message
	}
	return p.Path + ": " + p.Message
}

// ValidationErrors lists every problem found in a configuration, so the
// user can fix them all in one go.
type ValidationErrors struct {
	// File is the config file's path, when loaded from a file.
	File     string
	Problems []Problem
}

func (e *ValidationErrors) Error() string {
	var b strings.Builder
	b.WriteString("cấu hình không hợp lệ / invalid configuration")
	if e.File != "" {
		b.WriteString(" (")
		b.WriteString(e.File)
		b.WriteString(")")
	}
	fmt.Fprintf(&b, ": %d lỗi / %d problem(s)", len(e.Problems), len(e.Problems))
	for _, p := range e.Problems {
		b.WriteString("\n  - ")
		b.WriteString(p.String())
		if p.Line > 0 {
			fmt.Fprintf(&b, " [dòng/line %d]", p.Line)
		}
	}
	return b.String()
}

// problems collects Problems while loading.
type problems struct {
	list  []Problem
	lines map[string]int    // key path → line in the file
	env   map[string]string // key path → environment variable that set it
	// suggested holds the keys offered in "did you mean …?": a missing
	// required key that is really a typo is reported once, as the typo.
	suggested map[string]bool
}

// add records a problem at path with a Vietnamese and an English message.
func (ps *problems) add(path, vi, en string) {
	ps.addMsg(path, vi+" / "+en)
}

func (ps *problems) addMsg(path, msg string) {
	if name, ok := ps.env[path]; ok {
		msg += " (biến môi trường / environment variable " + name + ")"
	}
	ps.list = append(ps.list, Problem{Path: path, Line: ps.lineOf(path), Message: msg})
}

// lineOf finds the line of path or, for a missing key, of its nearest
// enclosing section.
func (ps *problems) lineOf(path string) int {
	for p := path; p != ""; {
		if l, ok := ps.lines[p]; ok {
			return l
		}
		i := strings.LastIndexAny(p, ".[")
		if i < 0 {
			break
		}
		p = p[:i]
	}
	return 0
}

// has reports whether a problem is already recorded at path or below it,
// so that validation does not repeat a decoding problem in other words.
func (ps *problems) has(path string) bool {
	for _, p := range ps.list {
		if p.Path == path || strings.HasPrefix(p.Path, path+".") {
			return true
		}
	}
	return false
}

// result sorts the problems by key path (stable, so several problems at
// one key keep the order they were found in) and returns them as an
// error, or nil.
func (ps *problems) result(file string) error {
	if len(ps.list) == 0 {
		return nil
	}
	sort.SliceStable(ps.list, func(i, j int) bool { return ps.list[i].Path < ps.list[j].Path })
	return &ValidationErrors{File: file, Problems: ps.list}
}
