package registry_test

import (
	"errors"
	"testing"

	"github.com/demhost/demhost/internal/testenv"
	"github.com/demhost/demhost/registry"
)

// testVersionSchema: SetVersionSchema records a new schema on a version
// only while the version still has the hash the caller read.
func testVersionSchema(t *testing.T, fresh func(t *testing.T) string) {
	ctx := testenv.Context(t)
	r := open(t, fresh(t))
	env := uniqueEnv(t)
	v, err := r.CreateVersion(ctx, env, "movies", []byte(schemaA), "code1")
	if err != nil {
		t.Fatal(err)
	}
	got, err := r.SetVersionSchema(ctx, v.ID, v.Hash, []byte(schemaB))
	canonical, hash, _ := registry.CanonicalSchema([]byte(schemaB))
	if err != nil || got.Hash != hash || string(got.Schema) != string(canonical) || got.Number != 1 || got.ID != v.ID {
		t.Fatalf("SetVersionSchema = %+v, %v; want movies-1 with schema B", got, err)
	}
	if read, err := r.Version(ctx, env, "movies", 1); err != nil || read.Hash != hash {
		t.Errorf("movies-1 reads hash %s (%v), want %s", read.Hash, err, hash)
	}
	// The old hash no longer matches: nothing changes.
	if _, err := r.SetVersionSchema(ctx, v.ID, v.Hash, []byte(schemaA)); !errors.Is(err, registry.ErrSchemaChanged) {
		t.Errorf("SetVersionSchema with a stale hash = %v, want ErrSchemaChanged", err)
	}
	if read, _ := r.Version(ctx, env, "movies", 1); read.Hash != hash {
		t.Errorf("a refused SetVersionSchema changed the hash to %s", read.Hash)
	}
	// A dropped version is not changed.
	if err := r.DeleteVersion(ctx, v.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := r.SetVersionSchema(ctx, v.ID, hash, []byte(schemaA)); !errors.Is(err, registry.ErrSchemaChanged) {
		t.Errorf("SetVersionSchema of a dropped version = %v, want ErrSchemaChanged", err)
	}
	if _, err := r.SetVersionSchema(ctx, v.ID, hash, []byte(`{not json`)); err == nil {
		t.Errorf("SetVersionSchema with invalid JSON = nil error")
	}
}
