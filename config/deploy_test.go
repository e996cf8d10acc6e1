package config_test

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/demhost/demhost/config"
	"github.com/demhost/demhost/host"
)

func TestLoadDeploy(t *testing.T) {
	clearEnv(t)
	path := filepath.Join(t.TempDir(), "demhost.yaml")
	body := `deploy:
  catchup_threshold: 500
  catchup_passes: 4
  retain: 3
  gate:
    tolerance: 0.001
    probes:
      - name: aliens
        index: movies
        query: {match: {title: alien}}
        min_hits: 2
      - query: '{"term":{"year":1979}}'
`
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := config.Load(config.Options{File: path})
	if err != nil {
		t.Fatal(err)
	}
	want := host.DeployConfig{CatchupThreshold: 500, CatchupPasses: 4, Retain: 3, Gate: host.GateConfig{Tolerance: 0.001, Probes: []host.Probe{
		{Name: "aliens", Index: "movies", Query: json.RawMessage(`{"match":{"title":"alien"}}`), MinHits: 2},
		{Query: json.RawMessage(`{"term":{"year":1979}}`)},
	}}}
	if !reflect.DeepEqual(c.Deploy, want) {
		t.Errorf("Deploy:\n got %+v\nwant %+v", c.Deploy, want)
	}

	t.Setenv("DEMHOST_DEPLOY_RETAIN", "5")
	t.Setenv("DEMHOST_DEPLOY_GATE_TOLERANCE", "0.5")
	if c, err = config.Load(config.Options{File: path}); err != nil || c.Deploy.Retain != 5 || c.Deploy.Gate.Tolerance != 0.5 {
		t.Errorf("the environment did not override the file: %+v, %v", c.Deploy, err)
	}
}

func TestDeployErrors(t *testing.T) {
	clearEnv(t)
	tests := []struct {
		body string
		want []string
	}{
		{"deploy: 3\n", []string{":1", "deploy", "mapping"}},
		{"deploy:\n  retian: 3\n", []string{":2", "deploy.retian", "not a known key", "retain"}},
		{"deploy:\n  retain: -1\n", []string{":2", "deploy.retain", "negative"}},
		{"deploy:\n  retain: many\n", []string{":2", "deploy.retain", "many"}},
		{"deploy:\n  catchup_threshold: -5\n", []string{":2", "deploy.catchup_threshold", "negative"}},
		{"deploy:\n  gate:\n    tolerance: 1.5\n", []string{":3", "deploy.gate.tolerance", "1.5", "fraction"}},
		{"deploy:\n  gate:\n    tolerance: some\n", []string{":3", "deploy.gate.tolerance", "some"}},
		{"deploy:\n  gate:\n    probes: {query: x}\n", []string{":3", "deploy.gate.probes", "list"}},
		{"deploy:\n  gate:\n    probes:\n      - name: x\n", []string{":4", "deploy.gate.probes[0].query", "missing"}},
		{"deploy:\n  gate:\n    probes:\n      - query: '{nope'\n", []string{":4", "deploy.gate.probes[0].query", "not JSON"}},
		{"deploy:\n  gate:\n    probes:\n      - query: [1, 2]\n", []string{":4", "deploy.gate.probes[0].query", "query object"}},
		{"deploy:\n  gate:\n    probes:\n      - query: {match_all: {}}\n        min_hits: -1\n", []string{":5", "deploy.gate.probes[0].min_hits", "negative"}},
	}
	for _, tt := range tests {
		path := filepath.Join(t.TempDir(), "demhost.yaml")
		if err := os.WriteFile(path, []byte(tt.body), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := config.Load(config.Options{File: path})
		var ce *config.Error
		if !errors.As(err, &ce) {
			t.Errorf("%q: error %v is not a *config.Error", tt.body, err)
			continue
		}
		for _, w := range tt.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%q: error %q does not contain %q", tt.body, err, w)
			}
		}
	}
}
