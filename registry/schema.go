package registry

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// droppedIndexSettings are the settings (below "index") that carry an
// index's name, identity or creation and so differ between environments
// and clusters for one and the same schema.
var droppedIndexSettings = map[string]bool{
	"provided_name": true,
	"uuid":          true,
	"creation_date": true,
	"version":       true, // index.version.created, index.version.upgraded
}

// CanonicalSchema returns the canonical JSON of a schema (sorted keys, no
// insignificant whitespace, index name and prefix-bearing settings such as
// index.provided_name and index.uuid removed) and its hex SHA-256 hash.
// Numbers keep their exact text. The settings may be flat
// ("index.uuid") or nested ({"index":{"uuid":…}}).
func CanonicalSchema(schema []byte) (canonical []byte, hash string, err error) {
	dec := json.NewDecoder(bytes.NewReader(schema))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, "", fmt.Errorf("canonical schema: invalid JSON: %w", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, "", errors.New("canonical schema: invalid JSON: data after the top-level value")
	}
	if top, ok := v.(map[string]any); ok {
		if settings, ok := top["settings"].(map[string]any); ok {
			stripSettings(settings)
		}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil { // maps encode with sorted keys
		return nil, "", fmt.Errorf("canonical schema: %w", err)
	}
	canonical = bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
	sum := sha256.Sum256(canonical)
	return canonical, hex.EncodeToString(sum[:]), nil
}

// stripSettings removes the identity settings in both their flat and
// nested spellings.
func stripSettings(settings map[string]any) {
	for k := range settings {
		rest, ok := strings.CutPrefix(k, "index.")
		if !ok {
			continue
		}
		first, _, _ := strings.Cut(rest, ".")
		if droppedIndexSettings[first] {
			delete(settings, k)
		}
	}
	if nested, ok := settings["index"].(map[string]any); ok {
		for k := range nested {
			first, _, _ := strings.Cut(k, ".")
			if droppedIndexSettings[first] {
				delete(nested, k)
			}
		}
	}
}
