package enginetest

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/demhost/demhost/host/engine"
)

// This file checks the calls on an existing index's mapping.

func testMapping(t *testing.T, e *env) {
	ctx := t.Context()
	name := e.create("mapping", mapping)
	var got struct {
		Properties map[string]struct {
			Type        string `json:"type"`
			IgnoreAbove int    `json:"ignore_above"`
		} `json:"properties"`
	}
	read := func() {
		t.Helper()
		m, err := e.eng.GetMapping(ctx, name)
		e.must(err, "get mapping of %s", name)
		got.Properties = nil
		e.must(json.Unmarshal(m, &got), "decode mapping %s", m)
	}
	read()
	if got.Properties["n"].Type != "long" || got.Properties["even"].Type != "boolean" {
		t.Fatalf("mapping of %s = %+v, want n long and even boolean", name, got)
	}
	// A new field and an updatable parameter are merged in.
	e.must(e.eng.PutMapping(ctx, name, []byte(`{"properties":{"tag":{"type":"keyword","ignore_above":10}}}`)), "add field")
	e.must(e.eng.PutMapping(ctx, name, []byte(`{"properties":{"tag":{"type":"keyword","ignore_above":20}}}`)), "raise ignore_above")
	read()
	if p := got.Properties["tag"]; p.Type != "keyword" || p.IgnoreAbove != 20 || got.Properties["n"].Type != "long" {
		t.Errorf("mapping after PutMapping = %+v, want tag keyword with ignore_above 20 beside n", got)
	}
	// A type change is refused, with the engine's reason.
	err := e.eng.PutMapping(ctx, name, []byte(`{"properties":{"n":{"type":"keyword"}}}`))
	if ee := wantEngineError(t, "type change", err, engine.ErrRejected, name); ee != nil && !strings.Contains(ee.Reason, "n") {
		t.Errorf("error = %+v, want a reason naming field n", ee)
	}
	// Some conflicts answer 500 (mapper_exception); they are refusals too.
	e.must(e.eng.PutMapping(ctx, name, []byte(`{"properties":{"o":{"type":"object"}}}`)), "add object")
	err = e.eng.PutMapping(ctx, name, []byte(`{"properties":{"o":{"type":"object","enabled":false}}}`))
	wantEngineError(t, "disabling an object", err, engine.ErrRejected, name)
	read()
	if got.Properties["n"].Type != "long" {
		t.Errorf("a refused PutMapping changed n to %+v", got.Properties["n"])
	}
	// Both refuse what would address more than one index, before any
	// request (the context is already cancelled).
	dead, cancel := context.WithCancel(context.Background())
	cancel()
	for _, bad := range []string{"", "_all", "*", e.prefix + "*", name + "," + e.name("other")} {
		if _, err := e.eng.GetMapping(dead, bad); !errors.Is(err, engine.ErrRejected) || errors.Is(err, context.Canceled) {
			t.Errorf("GetMapping(%q) = %v, want ErrRejected before any request", bad, err)
		}
		if err := e.eng.PutMapping(dead, bad, []byte(`{}`)); !errors.Is(err, engine.ErrRejected) || errors.Is(err, context.Canceled) {
			t.Errorf("PutMapping(%q) = %v, want ErrRejected before any request", bad, err)
		}
	}
	// A missing index is ErrNotFound.
	absent := e.name("absent_mapping")
	_, err = e.eng.GetMapping(ctx, absent)
	wantEngineError(t, "GetMapping on a missing index", err, engine.ErrNotFound, absent)
	wantEngineError(t, "PutMapping on a missing index",
		e.eng.PutMapping(ctx, absent, []byte(`{"properties":{"x":{"type":"long"}}}`)), engine.ErrNotFound, absent)
}
