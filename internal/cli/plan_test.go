package cli_test

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/demhost/demhost/internal/cli"
	"github.com/demhost/demhost/internal/testenv"
	"github.com/demhost/demhost/registry"
)

// recordSchema rewrites the schema recorded on movies-1 with edit, as if
// movies-1 had been created from an older version of the plugin: the
// plugin's schema then differs from it by what edit undid.
func recordSchema(t *testing.T, regPath, prefix string, edit func(schema map[string]any)) {
	t.Helper()
	ctx := testenv.Context(t)
	reg, err := registry.Open(ctx, regPath)
	if err != nil {
		t.Fatal(err)
	}
	defer reg.Close()
	v, err := reg.Version(ctx, prefix, "movies", 1)
	if err != nil {
		t.Fatal(err)
	}
	var schema map[string]any
	if err := json.Unmarshal(v.Schema, &schema); err != nil {
		t.Fatal(err)
	}
	edit(schema)
	b, _ := json.Marshal(schema)
	if _, err := reg.SetVersionSchema(ctx, v.ID, v.Hash, b); err != nil {
		t.Fatal(err)
	}
}

func properties(schema map[string]any) map[string]any {
	return schema["mappings"].(map[string]any)["properties"].(map[string]any)
}

// TestPlanCommand runs demhost plan through cli.Main on a real engine and
// registry: its table, its JSON, --exit-code's codes, and its usage errors.
func TestPlanCommand(t *testing.T) {
	t.Parallel()
	_, movies := binaries(t)
	url := testenv.ElasticsearchURL(t)
	prefix := uniquePrefix(t)
	regPath := filepath.Join(t.TempDir(), "registry.db")
	base := []string{"--config", moviesConfig(t, movies, ""), "--registry", regPath, "--engine-url", url, "--env-prefix", prefix}
	t.Cleanup(func() { deletePrefix(t, url, prefix) })
	demhost := func(code int, args ...string) result {
		t.Helper()
		r := runMain(t, nil, append(base, args...)...)
		if r.code != code {
			t.Fatalf("demhost %v: exit %d, want %d; stdout %q, stderr %q", args, r.code, code, r.stdout, r.stderr)
		}
		return r
	}
	plans := func(args ...string) []map[string]any {
		t.Helper()
		var out []map[string]any
		if err := json.Unmarshal([]byte(demhost(0, append(args, "-o", "json")...).stdout), &out); err != nil {
			t.Fatal(err)
		}
		return out
	}

	// No version yet: a new version.
	r := demhost(0, "plan", "movies")
	if !strings.Contains(r.stdout, "new version") || !strings.Contains(r.stdout, "movies has no version yet") {
		t.Errorf("plan before create:\n%s", r.stdout)
	}
	demhost(cli.ExitPlanChanges, "plan", "--all", "--exit-code")

	demhost(0, "create", "movies")
	demhost(0, "activate", "movies")
	r = demhost(0, "plan", "--all", "--exit-code")
	if !strings.Contains(r.stdout, "no change") || !strings.Contains(r.stdout, "nothing to deploy") {
		t.Errorf("plan of an unchanged index:\n%s", r.stdout)
	}

	// movies-1 as an older plugin made it: no summary field, a lower
	// ignore_above, a different refresh interval.
	recordSchema(t, regPath, prefix, func(s map[string]any) {
		p := properties(s)
		delete(p, "summary")
		p["title"].(map[string]any)["fields"].(map[string]any)["raw"].(map[string]any)["ignore_above"] = 128
		s["settings"].(map[string]any)["refresh_interval"] = "30s"
	})
	r = demhost(cli.ExitPlanChanges, "plan", "movies", "--exit-code")
	for _, want := range []string{"in place", "summary", "new field text", "title.raw", "ignore_above 128 → 256",
		"settings.index.refresh_interval", "30s → (unset)", "demhost deploy applies it"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("in-place plan lacks %q:\n%s", want, r.stdout)
		}
	}
	p := plans("plan", "movies")
	if len(p) != 1 || p[0]["plan"] != "in_place" || p[0]["active"] != "movies-1" || len(p[0]["changes"].([]any)) != 3 {
		t.Errorf("plan -o json = %v, want movies in place on movies-1 with 3 changes", p)
	}

	// deploy applies it in place. First make the cluster's movies-1 what
	// the record says (as the older plugin made it), with a field limit
	// that the new field exceeds: the engine refuses, deploy exits 1 with
	// the engine's reason and a hint, and the registry keeps its schema.
	physical := url + "/" + prefix + "movies-1"
	testenv.Request(t, "DELETE", physical, nil)
	demhost(0, "create", "movies", "--es-only")
	if code, body := testenv.Request(t, "PUT", physical+"/_settings", []byte(`{"index.mapping.total_fields.limit":1}`)); code != 200 {
		t.Fatalf("set the field limit: %d %s", code, body)
	}
	checkOneLineError(t, demhost(cli.ExitFailed, "deploy", "movies"),
		"the engine refused the new mapping of movies-1", "create movies --force")
	if p := plans("plan", "movies"); p[0]["plan"] != "in_place" {
		t.Errorf("plan after a refused deploy = %v, want still in place", p)
	}
	testenv.Request(t, "PUT", physical+"/_settings", []byte(`{"index.mapping.total_fields.limit":null}`))
	demhost(0, "deploy", "movies")
	demhost(0, "plan", "movies", "--exit-code")
	if _, body := testenv.Request(t, "GET", physical+"/_mapping", nil); !strings.Contains(string(body), `"summary"`) {
		t.Errorf("movies-1's mapping after deploy lacks summary: %s", body)
	}

	// A type change: a new version, with its reason.
	recordSchema(t, regPath, prefix, func(s map[string]any) {
		properties(s)["year"] = map[string]any{"type": "keyword"}
	})
	r = demhost(cli.ExitPlanChanges, "plan", "movies", "--exit-code")
	if !strings.Contains(r.stdout, "new version") || !strings.Contains(r.stdout, "type keyword → integer") ||
		!strings.Contains(r.stdout, "cannot change a field's type") {
		t.Errorf("plan of a type change:\n%s", r.stdout)
	}
	if p := plans("plan", "--all"); len(p) != 1 || p[0]["plan"] != "new_version" {
		t.Errorf("plan --all -o json = %v, want movies, new version", p)
	}
	// Without --exit-code a plan with changes exits 0 (above); usage errors exit 2.
	checkOneLineError(t, demhost(cli.ExitUsage, "plan", "nosuch"), "nosuch", "movies")
	checkOneLineError(t, demhost(cli.ExitUsage, "plan"), "plan", "--all")
	checkOneLineError(t, demhost(cli.ExitUsage, "plan", "movies", "--all"), "not both")
	checkOneLineError(t, demhost(cli.ExitUsage, "plan", "movies-1"), "movies-1", "version")
}
