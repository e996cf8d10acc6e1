package config

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/spf13/cast"
	"go.yaml.in/yaml/v3"
)

// Error is a bad setting. It names where the value came from (the file
// and line, the environment variable or the flag) and the key.
type Error struct {
	Source string // "demhost.yaml:12", "DEMHOST_ENV_PREFIX" or "--env-prefix"
	Key    string // "bulk.workers"; "" for the file as a whole
	Msg    string
}

func (e *Error) Error() string {
	switch {
	case e.Source != "" && e.Key != "":
		return fmt.Sprintf("%s: %s %s", e.Source, e.Key, e.Msg)
	case e.Key != "":
		return e.Key + " " + e.Msg
	default:
		return e.Source + ": " + e.Msg
	}
}

// known lists the keys a file may hold, per mapping.
var known = map[string][]string{
	"":                     {"engine", "registry", "env_prefix", "codebase_id", "codebase_command", "lock_timeout", "plugin_start_timeout", "resume_overlap", "bulk", "activate", "deploy", "plugins"},
	"engine":               {"urls", "kind", "username", "password", "api_key", "ca_file"},
	"bulk":                 {"workers", "batch_size", "flush_bytes", "retries", "backpressure_timeout"},
	"activate":             {"wait_for_status", "wait_timeout"},
	"plugins[]":            {"name", "path", "config"},
	"deploy":               {"catchup_threshold", "catchup_passes", "retain", "gate"},
	"deploy.gate":          {"tolerance", "probes"},
	"deploy.gate.probes[]": {"name", "index", "query", "min_hits"},
}

// rawPlugin is a plugins entry as written.
type rawPlugin struct {
	Name, Path string
	Config     map[string]any
}

var yamlLine = regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`)

// yamlMessage strips viper's and yaml's wrapping from a parse error.
func yamlMessage(err error) string {
	for u := errors.Unwrap(err); u != nil; u = errors.Unwrap(u) {
		err = u
	}
	return strings.TrimPrefix(err.Error(), "yaml: ")
}

// parseFile checks the file's shape (known keys, mappings where mappings
// belong), records each key's line, and decodes the plugins with the case
// of their config keys kept (viper lower-cases keys).
func (l *loader) parseFile(data []byte) ([]rawPlugin, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		msg := yamlMessage(err)
		if m := yamlLine.FindStringSubmatch(msg); m != nil {
			return nil, &Error{Source: l.file + ":" + m[1], Msg: "malformed YAML: " + m[2]}
		}
		return nil, &Error{Source: l.file, Msg: "malformed YAML: " + msg}
	}
	if len(doc.Content) == 0 {
		return nil, nil // an empty file
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return nil, &Error{Source: l.at(root), Msg: "malformed config: the top level must be a mapping of keys such as engine, registry, plugins"}
	}
	var plugins []rawPlugin
	err := l.walkMapping(root, "", func(key string, v *yaml.Node) error {
		switch key {
		case "engine", "bulk", "activate":
			if v.Kind != yaml.MappingNode && !isNull(v) {
				return &Error{Source: l.at(v), Key: key, Msg: "must be a mapping"}
			}
			if isNull(v) {
				return nil
			}
			return l.walkMapping(v, key, func(sub string, sv *yaml.Node) error {
				full := key + "." + sub
				if full == "engine.urls" && sv.Kind == yaml.SequenceNode {
					for _, it := range sv.Content {
						if it.Kind != yaml.ScalarNode {
							return &Error{Source: l.at(it), Key: full, Msg: "must be a list of URLs"}
						}
					}
					return nil
				}
				if sv.Kind != yaml.ScalarNode {
					return &Error{Source: l.at(sv), Key: full, Msg: "must be a single value"}
				}
				return nil
			})
		case "deploy":
			return l.deploySection(v)
		case "plugins":
			if isNull(v) {
				return nil
			}
			if v.Kind != yaml.SequenceNode {
				return &Error{Source: l.at(v), Key: key, Msg: "must be a list of {name, path, config}"}
			}
			for i, it := range v.Content {
				p, err := l.plugin(i, it)
				if err != nil {
					return err
				}
				plugins = append(plugins, p)
			}
			return nil
		default:
			if v.Kind != yaml.ScalarNode {
				return &Error{Source: l.at(v), Key: key, Msg: "must be a single value"}
			}
			return nil
		}
	})
	return plugins, err
}

func (l *loader) plugin(i int, n *yaml.Node) (rawPlugin, error) {
	prefix := "plugins[" + strconv.Itoa(i) + "]"
	l.lines[prefix] = n.Line
	if n.Kind != yaml.MappingNode {
		return rawPlugin{}, &Error{Source: l.at(n), Key: prefix, Msg: "must be a mapping with name, path and config"}
	}
	var p rawPlugin
	err := l.walkMapping(n, "plugins[]", func(key string, v *yaml.Node) error {
		full := prefix + "." + key
		l.lines[full] = v.Line
		switch key {
		case "config":
			if isNull(v) {
				return nil
			}
			if v.Kind != yaml.MappingNode {
				return &Error{Source: l.at(v), Key: full, Msg: "must be a mapping"}
			}
			if err := v.Decode(&p.Config); err != nil {
				return &Error{Source: l.at(v), Key: full, Msg: "cannot be read: " + yamlMessage(err)}
			}
		default:
			if v.Kind != yaml.ScalarNode {
				return &Error{Source: l.at(v), Key: full, Msg: "must be a single value"}
			}
			if key == "name" {
				p.Name = v.Value
			} else {
				p.Path = v.Value
			}
		}
		return nil
	})
	return p, err
}

// walkMapping calls fn for each key of a mapping, after checking that the
// key is known. section names the mapping in the known table.
func (l *loader) walkMapping(m *yaml.Node, section string, fn func(key string, v *yaml.Node) error) error {
	seen := map[string]bool{}
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := m.Content[i], m.Content[i+1]
		full := k.Value
		if section != "" && section != "plugins[]" {
			full = section + "." + k.Value
		}
		if !contains(known[section], k.Value) {
			return &Error{Source: l.at(k), Key: full, Msg: "is not a known key; known keys here: " + strings.Join(known[section], ", ")}
		}
		if seen[k.Value] {
			return &Error{Source: l.at(k), Key: full, Msg: "is set twice"}
		}
		seen[k.Value] = true
		if section != "plugins[]" {
			l.lines[full] = k.Line
		}
		if err := fn(k.Value, v); err != nil {
			return err
		}
	}
	return nil
}

func isNull(n *yaml.Node) bool { return n.Kind == yaml.ScalarNode && n.Tag == "!!null" }

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func (l *loader) at(n *yaml.Node) string { return l.file + ":" + strconv.Itoa(n.Line) }

// origin names where key's value came from: the flag, the environment
// variable, or the file and line.
func (l *loader) origin(key string) string {
	for _, s := range settings {
		if s.key != key {
			continue
		}
		if s.flag != "" && l.flags != nil {
			if f := l.flags.Lookup(s.flag); f != nil && f.Changed {
				return "--" + s.flag
			}
		}
		if os.Getenv(s.env) != "" {
			return s.env
		}
	}
	for k := key; k != ""; {
		if line, ok := l.lines[k]; ok {
			return l.file + ":" + strconv.Itoa(line)
		}
		i := strings.LastIndexByte(k, '.')
		if i < 0 {
			break
		}
		k = k[:i] // a missing key: point at its parent
	}
	if l.file != "" && (strings.HasPrefix(key, "plugins") || l.v.InConfig(key)) {
		return l.file
	}
	return ""
}

// fromFile says the value of key is the file's (no variable or flag).
func (l *loader) fromFile(key string) bool {
	o := l.origin(key)
	return l.file != "" && strings.HasPrefix(o, l.file)
}

func (l *loader) errorf(key, format string, args ...any) *Error {
	return &Error{Source: l.origin(key), Key: key, Msg: fmt.Sprintf(format, args...)}
}

func (l *loader) str(key string) string { return strings.TrimSpace(cast.ToString(l.v.Get(key))) }

// path returns a file path setting, relative to the file's folder when
// it was written in the file.
func (l *loader) path(key string) string {
	p := l.str(key)
	if p != "" && !filepath.IsAbs(p) && l.fromFile(key) {
		p = filepath.Join(l.dir, p)
	}
	return p
}

// list reads a list: a YAML sequence, a flag's list, or a comma-separated
// string (the environment).
func (l *loader) list(key string) ([]string, error) {
	var parts []string
	switch v := l.v.Get(key).(type) {
	case nil:
	case string:
		parts = strings.Split(v, ",")
	default:
		s, err := cast.ToStringSliceE(v)
		if err != nil {
			return nil, l.errorf(key, "must be a list of strings")
		}
		for _, x := range s {
			parts = append(parts, strings.Split(x, ",")...)
		}
	}
	var out []string
	for _, p := range parts {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out, nil
}

func (l *loader) int(key string) (int, error) {
	v := l.v.Get(key)
	if v == nil {
		return 0, nil
	}
	if s, ok := v.(string); ok {
		s = strings.TrimSpace(s)
		if s == "" {
			return 0, nil
		}
		n, err := strconv.Atoi(s)
		if err != nil {
			return 0, l.errorf(key, "must be a whole number, not %q", s)
		}
		return n, nil
	}
	switch f := v.(type) {
	case float64:
		if f != math.Trunc(f) || math.Abs(f) > math.MaxInt32 {
			return 0, l.errorf(key, "must be a whole number, not %v", v)
		}
	case float32:
		if float64(f) != math.Trunc(float64(f)) {
			return 0, l.errorf(key, "must be a whole number, not %v", v)
		}
	case bool:
		return 0, l.errorf(key, "must be a whole number, not %v", v)
	}
	n, err := cast.ToIntE(v)
	if err != nil {
		return 0, l.errorf(key, "must be a whole number, not %v", v)
	}
	return n, nil
}
