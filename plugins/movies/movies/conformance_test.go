package movies_test

import (
	"encoding/json"
	"testing"

	"github.com/demhost/demhost/plugin-sdk/sdktest"
	"github.com/demhost/demhost/plugins/movies/movies"
)

func TestConformance(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ name, cfg string }{
		{"fixture", `{}`},
		{"synthetic", `{"synthetic": 2000, "seed": 11, "index": "movies_syn"}`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			sdktest.Run(t, movies.New(), sdktest.Config{Config: json.RawMessage(tt.cfg), Partitions: 4})
		})
	}
}
