package config

import (
	"encoding/json"
	"errors"
	"strconv"
	"strings"

	"github.com/spf13/cast"
	"go.yaml.in/yaml/v3"

	"github.com/demhost/demhost/host"
)

// The deploy section:
//
//	deploy:
//	  catchup_threshold: 1000   # a catch-up pass moving fewer docs ends the catch-up
//	  catchup_passes: 10        # at most this many passes
//	  retain: 3                 # keep the newest 3 versions (and the previous one)
//	  gate:
//	    tolerance: 0.001        # the count may be 0.1% off the source's
//	    probes:
//	      - name: aliens
//	        index: movies       # default: every index deployed
//	        query: {match: {title: alien}}
//	        min_hits: 1

// deploySection checks the deploy mapping and reads its probes, which
// viper's flat keys cannot hold.
func (l *loader) deploySection(v *yaml.Node) error {
	if isNull(v) {
		return nil
	}
	if v.Kind != yaml.MappingNode {
		return &Error{Source: l.at(v), Key: "deploy", Msg: "must be a mapping"}
	}
	return l.walkMapping(v, "deploy", func(key string, sv *yaml.Node) error {
		full := "deploy." + key
		if key != "gate" {
			if sv.Kind != yaml.ScalarNode {
				return &Error{Source: l.at(sv), Key: full, Msg: "must be a single value"}
			}
			return nil
		}
		if isNull(sv) {
			return nil
		}
		if sv.Kind != yaml.MappingNode {
			return &Error{Source: l.at(sv), Key: full, Msg: "must be a mapping of tolerance and probes"}
		}
		return l.walkMapping(sv, "deploy.gate", func(gk string, gv *yaml.Node) error {
			switch {
			case gk == "probes" && isNull(gv):
				return nil
			case gk == "probes" && gv.Kind != yaml.SequenceNode:
				return &Error{Source: l.at(gv), Key: "deploy.gate.probes", Msg: "must be a list of {name, query, min_hits}"}
			case gk == "probes":
				for i, it := range gv.Content {
					p, err := l.probe(i, it)
					if err != nil {
						return err
					}
					l.probes = append(l.probes, p)
				}
				return nil
			case gv.Kind != yaml.ScalarNode:
				return &Error{Source: l.at(gv), Key: "deploy.gate." + gk, Msg: "must be a single value"}
			}
			return nil
		})
	})
}

// probe reads one deploy.gate.probes entry. Its query is a YAML mapping or
// a string of JSON.
func (l *loader) probe(i int, n *yaml.Node) (host.Probe, error) {
	prefix := "deploy.gate.probes[" + strconv.Itoa(i) + "]"
	l.lines[prefix] = n.Line
	var p host.Probe
	if n.Kind != yaml.MappingNode {
		return p, &Error{Source: l.at(n), Key: prefix, Msg: "must be a mapping with name, query and min_hits"}
	}
	err := l.walkMapping(n, "deploy.gate.probes[]", func(key string, v *yaml.Node) error {
		full := prefix + "." + key
		l.lines[full] = v.Line
		switch key {
		case "query":
			var q any
			if v.Kind == yaml.ScalarNode {
				if err := json.Unmarshal([]byte(v.Value), &q); err != nil {
					return &Error{Source: l.at(v), Key: full, Msg: "is not JSON: " + err.Error()}
				}
			} else if err := v.Decode(&q); err != nil {
				return &Error{Source: l.at(v), Key: full, Msg: "cannot be read: " + yamlMessage(err)}
			}
			obj, ok := q.(map[string]any)
			if !ok || len(obj) == 0 {
				return &Error{Source: l.at(v), Key: full, Msg: `must be a query object such as {match: {title: alien}}`}
			}
			b, err := json.Marshal(obj)
			if err != nil {
				return &Error{Source: l.at(v), Key: full, Msg: "cannot be written as JSON: " + err.Error()}
			}
			p.Query = b
		case "min_hits":
			n, err := strconv.ParseInt(strings.TrimSpace(v.Value), 10, 64)
			if v.Kind != yaml.ScalarNode || err != nil {
				return &Error{Source: l.at(v), Key: full, Msg: "must be a whole number, not " + strconv.Quote(v.Value)}
			}
			p.MinHits = n
		default: // name, index
			if v.Kind != yaml.ScalarNode {
				return &Error{Source: l.at(v), Key: full, Msg: "must be a single value"}
			}
			if key == "name" {
				p.Name = v.Value
			} else {
				p.Index = v.Value
			}
		}
		return nil
	})
	if err == nil && p.Query == nil {
		err = &Error{Source: l.at(n), Key: prefix + ".query", Msg: "is missing; a probe needs a query"}
	}
	return p, err
}

// buildDeploy reads the deploy settings (file, then environment).
func (l *loader) buildDeploy(c *Config) error {
	for _, it := range []struct {
		key string
		dst *int
	}{
		{"deploy.catchup_passes", &c.Deploy.CatchupPasses},
		{"deploy.retain", &c.Deploy.Retain},
	} {
		n, err := l.int(it.key)
		if err != nil {
			return err
		}
		*it.dst = n
	}
	n, err := l.int("deploy.catchup_threshold")
	if err != nil {
		return err
	}
	c.Deploy.CatchupThreshold = int64(n)
	if v := l.v.Get("deploy.gate.tolerance"); v != nil && l.str("deploy.gate.tolerance") != "" {
		f, err := cast.ToFloat64E(v)
		if _, isBool := v.(bool); err != nil || isBool {
			return l.errorf("deploy.gate.tolerance", "must be a fraction such as 0 or 0.001, not %q", l.str("deploy.gate.tolerance"))
		}
		c.Deploy.Gate.Tolerance = f
	}
	c.Deploy.Gate.Probes = l.probes
	return nil
}

// validateDeploy checks the deploy settings with the host's own rule
// (host.DeployConfig.Check), naming where the bad value came from.
func (l *loader) validateDeploy(c *Config) error {
	err := c.Deploy.Check()
	var de *host.DeployConfigError
	if errors.As(err, &de) {
		return l.errorf(de.Key, "%s", de.Reason)
	}
	return err
}
