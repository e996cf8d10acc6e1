package registry_test

import (
	"context"
	"net/url"
	"os"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/demhost/demhost/internal/testenv"
	"github.com/demhost/demhost/registry"
)

// readOnlyRole creates a login role that may only read the schema of dsn
// (which must carry search_path) and returns dsn as that role.
func readOnlyRole(t *testing.T, base, dsn string) string {
	t.Helper()
	ctx := testenv.Context(t)
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	schema := u.Query().Get("search_path")
	role, password := "ro_"+randomHex(t, 6), randomHex(t, 12)
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	for _, q := range []string{
		"CREATE ROLE " + role + " LOGIN PASSWORD '" + password + "'",
		"GRANT USAGE ON SCHEMA " + schema + " TO " + role,
		"GRANT SELECT ON ALL TABLES IN SCHEMA " + schema + " TO " + role,
	} {
		if _, err := conn.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	t.Cleanup(func() {
		ctx := context.Background()
		conn, err := pgx.Connect(ctx, base)
		if err != nil {
			return
		}
		defer conn.Close(ctx)
		conn.Exec(ctx, "DROP OWNED BY "+role)
		conn.Exec(ctx, "DROP ROLE "+role)
	})
	u.User = url.UserPassword(role, password)
	return u.String()
}

// TestReadOnlyPostgresRole: a role with only SELECT opens a current
// registry without migrating, reads the history, and sees a dead action
// as abandoned without being able to record it.
func TestReadOnlyPostgresRole(t *testing.T) {
	t.Parallel()
	ctx := testenv.Context(t)
	base := testenv.PostgresDSN(t)
	dsn := freshPostgres(t, base)
	rw := open(t, dsn)
	env := uniqueEnv(t)
	self, _ := os.Hostname()
	done, err := rw.StartAction(ctx, registry.Action{Env: env, Index: "movies", Kind: registry.ActionCreate})
	if err != nil {
		t.Fatal(err)
	}
	if err := rw.FinishAction(ctx, done, registry.ActionComplete, registry.Counts{}, ""); err != nil {
		t.Fatal(err)
	}
	dead, err := rw.StartAction(ctx, registry.Action{Env: env, Index: "movies", Kind: registry.ActionUpdate,
		Status: registry.ActionInProgress, Host: self, Pid: deadPid(t)})
	if err != nil {
		t.Fatal(err)
	}

	ro := open(t, readOnlyRole(t, base, dsn))
	if _, err := ro.StartAction(ctx, registry.Action{Env: env, Kind: registry.ActionCreate}); err == nil {
		t.Fatal("the read-only role could write; the test proves nothing")
	}
	h, err := ro.History(ctx, registry.ActionFilter{Env: env})
	if err != nil {
		t.Fatalf("history through a read-only role: %v", err)
	}
	if len(h) != 2 || h[0].ID != dead || h[0].Status != registry.ActionAbandoned || h[1].Status != registry.ActionComplete {
		t.Errorf("history = %+v, want the dead action shown abandoned, then the complete one", h)
	}
	if _, err := ro.Versions(ctx, env, "movies", false); err != nil {
		t.Errorf("versions through a read-only role: %v", err)
	}
	// Nothing was written: the row still says in_progress to a writer
	// that cannot judge (another host's view is the record).
	var status string
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if err := conn.QueryRow(ctx, "SELECT status FROM actions WHERE id = $1", dead).Scan(&status); err != nil {
		t.Fatal(err)
	}
	if status != string(registry.ActionInProgress) {
		t.Errorf("the read-only history wrote status %q", status)
	}
}
