package registry_test

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/demhost/demhost/internal/testenv"
	"github.com/demhost/demhost/registry"
)

const schemaA = `{"mappings":{"properties":{"title":{"type":"text"}}},"settings":{"number_of_shards":1}}`
const schemaB = `{"mappings":{"properties":{"title":{"type":"keyword"}}},"settings":{"number_of_shards":1}}`

// runConformance is the suite every backend passes. fresh returns the DSN
// of a new, empty registry database.
func runConformance(t *testing.T, fresh func(t *testing.T) string) {
	tests := []struct {
		name string
		run  func(t *testing.T, fresh func(t *testing.T) string)
	}{
		{"Versions", testVersions},
		{"VersionSchema", testVersionSchema},
		{"NumbersNeverReused", testNumbersNeverReused},
		{"ConcurrentCreate", testConcurrentCreate},
		{"ActiveVersion", testActiveVersion},
		{"Resolve", testResolve},
		{"EnvironmentIsolation", testEnvironmentIsolation},
		{"Actions", testActions},
		{"ProgressSeenByOtherConnection", testProgressSeenByOtherConnection},
		{"History", testHistory},
		{"Checkpoints", testCheckpoints},
		{"Fills", testFills},
		{"LoadSettings", testLoadSettings},
		{"ResetEnv", testResetEnv},
		{"ConcurrentMigration", testConcurrentMigration},
		{"SchemaTooNew", testSchemaTooNew},
		{"LockRace", testLockRace},
		{"LockTimeoutNamesHolder", testLockTimeoutNamesHolder},
		{"LocksIndependent", testLocksIndependent},
		{"LockReleasedAfterCancel", testLockReleasedAfterCancel},
		{"LockReleasedWhenProcessDies", testLockReleasedWhenProcessDies},
		{"Abandoned", testAbandoned},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.run(t, fresh)
		})
	}
}

func testVersions(t *testing.T, fresh func(t *testing.T) string) {
	ctx := testenv.Context(t)
	r := open(t, fresh(t))
	env := uniqueEnv(t)

	v1, err := r.CreateVersion(ctx, env, "movies", []byte(schemaA), "code1")
	if err != nil {
		t.Fatal(err)
	}
	canonical, hash, _ := registry.CanonicalSchema([]byte(schemaA))
	want := registry.Version{ID: v1.ID, Env: env, Index: "movies", Number: 1, Name: env + "movies-1",
		Schema: canonical, Hash: hash, CodebaseID: "code1", Status: registry.VersionBuilding, CreatedAt: v1.CreatedAt}
	if !equalVersion(v1, want) {
		t.Fatalf("created %+v, want %+v", v1, want)
	}
	if time.Since(v1.CreatedAt) > time.Minute || v1.CreatedAt.Location() != time.UTC {
		t.Errorf("CreatedAt = %v, want about now in UTC", v1.CreatedAt)
	}
	if v1.Label() != "movies-1" {
		t.Errorf("Label = %q", v1.Label())
	}
	v2, err := r.CreateVersion(ctx, env, "movies", []byte(schemaB), "code2")
	if err != nil {
		t.Fatal(err)
	}
	if v2.Number != 2 || v2.Hash == v1.Hash {
		t.Errorf("second version: number %d hash %s (first %s)", v2.Number, v2.Hash, v1.Hash)
	}
	if _, err := r.CreateVersion(ctx, env, "movies", []byte(`{not json`), ""); err == nil {
		t.Error("CreateVersion accepted invalid JSON")
	}

	if err := r.SetVersionStatus(ctx, v1.ID, registry.VersionReady); err != nil {
		t.Fatal(err)
	}
	if err := r.SetVersionStatus(ctx, v1.ID, "bogus"); err == nil {
		t.Error("SetVersionStatus accepted an unknown status")
	}
	if err := r.SetVersionStatus(ctx, 1<<40, registry.VersionReady); !errors.Is(err, registry.ErrNotFound) {
		t.Errorf("SetVersionStatus of unknown id: %v, want ErrNotFound", err)
	}
	got, err := r.Version(ctx, env, "movies", 1)
	if err != nil {
		t.Fatal(err)
	}
	want.Status = registry.VersionReady
	if !equalVersion(got, want) {
		t.Errorf("Version(1) = %+v, want %+v", got, want)
	}
	if _, err := r.Version(ctx, env, "movies", 9); !errors.Is(err, registry.ErrNotFound) {
		t.Errorf("Version(9): %v, want ErrNotFound", err)
	}

	if err := r.DeleteVersion(ctx, v1.ID); err != nil {
		t.Fatal(err)
	}
	if err := r.DeleteVersion(ctx, v1.ID); err != nil {
		t.Errorf("deleting again: %v", err)
	}
	if err := r.DeleteVersion(ctx, 1<<40); !errors.Is(err, registry.ErrNotFound) {
		t.Errorf("DeleteVersion of unknown id: %v, want ErrNotFound", err)
	}
	live, err := r.Versions(ctx, env, "movies", false)
	if err != nil {
		t.Fatal(err)
	}
	if numbers(live) != "[2]" {
		t.Errorf("live versions %s, want [2]", numbers(live))
	}
	all, err := r.Versions(ctx, env, "movies", true)
	if err != nil {
		t.Fatal(err)
	}
	if numbers(all) != "[1 2]" || all[0].DeletedAt == nil || all[1].DeletedAt != nil {
		t.Errorf("all versions %s, deleted %v/%v", numbers(all), all[0].DeletedAt, all[1].DeletedAt)
	}
}

func equalVersion(a, b registry.Version) bool {
	return a.ID == b.ID && a.Env == b.Env && a.Index == b.Index && a.Number == b.Number && a.Name == b.Name &&
		string(a.Schema) == string(b.Schema) && a.Hash == b.Hash && a.CodebaseID == b.CodebaseID &&
		a.Status == b.Status && a.CreatedAt.Equal(b.CreatedAt) && (a.DeletedAt == nil) == (b.DeletedAt == nil)
}

func numbers(vs []registry.Version) string {
	var ns []int
	for _, v := range vs {
		ns = append(ns, v.Number)
	}
	return fmt.Sprint(ns)
}

func testNumbersNeverReused(t *testing.T, fresh func(t *testing.T) string) {
	ctx := testenv.Context(t)
	r := open(t, fresh(t))
	env := uniqueEnv(t)
	create := func() registry.Version {
		t.Helper()
		v, err := r.CreateVersion(ctx, env, "movies", []byte(schemaA), "")
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	create()
	v2 := create()
	if err := r.DeleteVersion(ctx, v2.ID); err != nil {
		t.Fatal(err)
	}
	if v := create(); v.Number != 3 {
		t.Errorf("after dropping 2, new version is %d, want 3", v.Number)
	}
	if err := r.ResetEnv(ctx, env); err != nil {
		t.Fatal(err)
	}
	if v := create(); v.Number != 4 || v.Name != env+"movies-4" {
		t.Errorf("after a reset, new version is %d (%s), want 4", v.Number, v.Name)
	}
}

func testConcurrentCreate(t *testing.T, fresh func(t *testing.T) string) {
	ctx := testenv.Context(t)
	r := open(t, fresh(t))
	env := uniqueEnv(t)
	const n = 8
	got := make([]int, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			v, err := r.CreateVersion(ctx, env, "movies", []byte(schemaA), "")
			got[i], errs[i] = v.Number, err
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	slices.Sort(got)
	if want := []int{1, 2, 3, 4, 5, 6, 7, 8}; !slices.Equal(got, want) {
		t.Errorf("concurrent numbers %v, want %v", got, want)
	}
}

func testActiveVersion(t *testing.T, fresh func(t *testing.T) string) {
	ctx := testenv.Context(t)
	r := open(t, fresh(t))
	env := uniqueEnv(t)
	v1, _ := r.CreateVersion(ctx, env, "movies", []byte(schemaA), "")
	if _, err := r.CreateVersion(ctx, env, "movies", []byte(schemaA), ""); err != nil {
		t.Fatal(err)
	}
	if _, err := r.CreateVersion(ctx, env, "books", []byte(schemaA), ""); err != nil {
		t.Fatal(err)
	}
	active := func() string {
		t.Helper()
		ixs, err := r.Indexes(ctx, env)
		if err != nil {
			t.Fatal(err)
		}
		return fmt.Sprint(ixs)
	}
	if got, want := active(), fmt.Sprintf("[{%[1]s books 0} {%[1]s movies 0}]", env); got != want {
		t.Errorf("Indexes = %s, want %s", got, want)
	}
	if err := r.SetActive(ctx, env, "movies", 1); err != nil {
		t.Fatal(err)
	}
	if got, want := active(), fmt.Sprintf("[{%[1]s books 0} {%[1]s movies 1}]", env); got != want {
		t.Errorf("after SetActive: %s, want %s", got, want)
	}
	if err := r.SetActive(ctx, env, "movies", 7); !errors.Is(err, registry.ErrNotFound) {
		t.Errorf("SetActive of a missing version: %v, want ErrNotFound", err)
	}
	if err := r.DeleteVersion(ctx, v1.ID); err != nil {
		t.Fatal(err)
	}
	if got, want := active(), fmt.Sprintf("[{%[1]s books 0} {%[1]s movies 0}]", env); got != want {
		t.Errorf("after deleting the active version: %s, want %s", got, want)
	}
	if err := r.SetActive(ctx, env, "movies", 1); !errors.Is(err, registry.ErrNotFound) {
		t.Errorf("SetActive of a deleted version: %v, want ErrNotFound", err)
	}
	if err := r.SetActive(ctx, env, "movies", 2); err != nil {
		t.Fatal(err)
	}
	if err := r.SetActive(ctx, env, "movies", 0); err != nil {
		t.Fatal(err)
	}
	if got, want := active(), fmt.Sprintf("[{%[1]s books 0} {%[1]s movies 0}]", env); got != want {
		t.Errorf("after clearing: %s, want %s", got, want)
	}
}

func testResolve(t *testing.T, fresh func(t *testing.T) string) {
	ctx := testenv.Context(t)
	r := open(t, fresh(t))
	env, other := uniqueEnv(t), uniqueEnv(t)
	for _, ix := range []string{"movies", "movies", "movies", "web-2", "web-2"} {
		if _, err := r.CreateVersion(ctx, env, ix, []byte(schemaA), ""); err != nil {
			t.Fatal(err)
		}
	}
	v3, _ := r.Version(ctx, env, "movies", 3)
	if err := r.DeleteVersion(ctx, v3.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := r.CreateVersion(ctx, other, "secret", []byte(schemaA), ""); err != nil {
		t.Fatal(err)
	}
	extra := []string{"books"}
	known := []string{"books", "movies", "movies-1", "movies-2", "web-2", "web-2-1", "web-2-2"}
	tests := []struct {
		word string
		want registry.Target
		ok   bool
	}{
		{"movies", registry.Target{Index: "movies"}, true},
		{"movies-2", registry.Target{Index: "movies", Version: 2}, true},
		{"movies-3", registry.Target{}, false}, // deleted
		{"movies-9", registry.Target{}, false},
		{"movies-02", registry.Target{}, false},
		{"movies-0", registry.Target{}, false},
		{"books", registry.Target{Index: "books"}, true}, // known only from extra
		{"books-1", registry.Target{}, false},
		{"web-2", registry.Target{Index: "web-2"}, true}, // the base name, not version 2 of "web"
		{"web-2-1", registry.Target{Index: "web-2", Version: 1}, true},
		{"secret", registry.Target{}, false}, // another environment's index
		{"secret-1", registry.Target{}, false},
		{"", registry.Target{}, false},
	}
	for _, tc := range tests {
		got, err := r.Resolve(ctx, env, tc.word, extra)
		if tc.ok {
			if err != nil || got != tc.want {
				t.Errorf("Resolve(%q) = %+v, %v; want %+v", tc.word, got, err, tc.want)
			}
			continue
		}
		var ue *registry.UnknownNameError
		if !errors.As(err, &ue) || !errors.Is(err, registry.ErrUnknownName) {
			t.Errorf("Resolve(%q) = %+v, %v; want an UnknownNameError", tc.word, got, err)
			continue
		}
		if ue.Name != tc.word || !slices.Equal(ue.Known, known) {
			t.Errorf("Resolve(%q) error names %q and knows %v, want %v", tc.word, ue.Name, ue.Known, known)
		}
	}
	// WithDropped also takes a dropped version, and nothing more.
	for _, tc := range []struct {
		word string
		want registry.Target
		ok   bool
	}{
		{"movies-3", registry.Target{Index: "movies", Version: 3}, true},
		{"movies-2", registry.Target{Index: "movies", Version: 2}, true},
		{"movies", registry.Target{Index: "movies"}, true},
		{"movies-9", registry.Target{}, false},
		{"secret-1", registry.Target{}, false},
	} {
		got, err := r.Resolve(ctx, env, tc.word, extra, registry.WithDropped())
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("Resolve(%q, WithDropped) = %+v, %v; want %+v, ok=%v", tc.word, got, err, tc.want, tc.ok)
		}
	}
	_, err := r.Resolve(ctx, uniqueEnv(t), "movies", nil)
	if err == nil || err.Error() != `unknown index or version "movies": no indexes are known` {
		t.Errorf("Resolve in an empty environment: %v", err)
	}
}

func testEnvironmentIsolation(t *testing.T, fresh func(t *testing.T) string) {
	ctx := testenv.Context(t)
	r := open(t, fresh(t))
	a, b := uniqueEnv(t), uniqueEnv(t)
	for _, env := range []string{a, a, b} {
		if _, err := r.CreateVersion(ctx, env, "movies", []byte(schemaA), ""); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := r.StartAction(ctx, registry.Action{Env: b, Index: "movies", Kind: registry.ActionCreate}); err != nil {
		t.Fatal(err)
	}
	vb, err := r.Versions(ctx, b, "movies", true)
	if err != nil {
		t.Fatal(err)
	}
	if numbers(vb) != "[1]" || vb[0].Name != b+"movies-1" {
		t.Errorf("env %s versions %s (%v), want [1] counted on its own", b, numbers(vb), vb)
	}
	if err := r.SetActive(ctx, a, "movies", 2); err != nil {
		t.Fatal(err)
	}
	if ixs, _ := r.Indexes(ctx, b); len(ixs) != 1 || ixs[0].Active != 0 {
		t.Errorf("activating in %s changed %s: %v", a, b, ixs)
	}
	if _, err := r.Resolve(ctx, b, "movies-2", nil); err == nil {
		t.Errorf("env %s resolved env %s's version movies-2", b, a)
	}
	if err := r.ResetEnv(ctx, a); err != nil {
		t.Fatal(err)
	}
	if ixs, _ := r.Indexes(ctx, a); len(ixs) != 0 {
		t.Errorf("after reset, %s still lists %v", a, ixs)
	}
	if vs, _ := r.Versions(ctx, b, "movies", true); len(vs) != 1 {
		t.Errorf("resetting %s changed %s's versions: %v", a, b, vs)
	}
	if h, _ := r.History(ctx, registry.ActionFilter{Env: b}); len(h) != 1 {
		t.Errorf("resetting %s changed %s's history: %v", a, b, h)
	}
	if h, _ := r.History(ctx, registry.ActionFilter{Env: a}); len(h) != 0 {
		t.Errorf("%s's history shows %d actions of %s", a, len(h), b)
	}
}
