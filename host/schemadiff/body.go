package schemadiff

import (
	"encoding/json"
	"strings"
)

// This file turns changes that are not breaking into the requests that
// apply them to an existing index.

// SettingsBody is the PUT _settings body that applies the setting changes
// among changes (flat keys; null resets a removed setting), or nil when
// there are none. It is only meaningful for changes that are not breaking.
func SettingsBody(changes []Change, to Schema) []byte {
	body := map[string]any{}
	for _, c := range changes {
		k, ok := strings.CutPrefix(c.Path, "settings.")
		if !ok {
			continue
		}
		if v, ok := to.values[k]; ok {
			body[k] = v
		} else {
			body[k] = nil
		}
	}
	if len(body) == 0 {
		return nil
	}
	b, _ := json.Marshal(body)
	return b
}

// MappingBody is the PUT _mapping body that applies the mapping changes
// among changes: the target's whole mapping, which the engine merges into
// the index's (a parameter left out of a field resets to its default), or
// nil when no mapping change is among changes.
func MappingBody(changes []Change, to Schema) []byte {
	for _, c := range changes {
		if !strings.HasPrefix(c.Path, "settings.") {
			b, _ := json.Marshal(to.Mappings)
			return b
		}
	}
	return nil
}
