package bench

import (
	"encoding/json"

	"github.com/demhost/demhost/plugins/movies/movies"
)

// Generate calls fn with the n synthetic movies of seed, in id order: the
// movies plugin's own generator, so the corpus holds byte for byte what
// the plugin binary streams to demhost for {"synthetic": n, "seed": seed}.
// The source slice is reused after fn returns.
func Generate(n int, seed uint64, fn func(id string, source []byte) error) error {
	for id, src := range movies.Generate(n, seed) {
		if err := fn(id, src); err != nil {
			return err
		}
	}
	return nil
}

// MoviesIndexBody is the body every non-demhost contender's index is
// created with: the movies plugin's mapping and settings (one shard, no
// replicas), the same that demhost creates from the plugin's Describe.
func MoviesIndexBody() []byte {
	b, _ := json.Marshal(map[string]json.RawMessage{"settings": movies.Settings, "mappings": movies.Mappings}) // valid RawMessages always marshal
	return b
}
