package host_test

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/demhost/demhost/host"
	"github.com/demhost/demhost/host/engine"
	"github.com/demhost/demhost/internal/testenv"
	sdk "github.com/demhost/demhost/plugin-sdk"
)

// TestActivateWaitsForHealth activates a version whose replicas cannot all
// be placed (more replicas than any test cluster has nodes): waiting for
// green times out with a clear error and leaves the alias alone; auto
// sees that green is impossible and waits for yellow; none does not wait.
func TestActivateWaitsForHealth(t *testing.T) {
	eachEngine(t, func(t *testing.T, e testenv.Engine) {
		ctx := testenv.Context(t)
		eng, reg := openEngine(t, e.URL), openSQLite(t)
		env := randomPrefix(t)
		t.Cleanup(func() { cleanupPrefix(t, eng, env) })
		src := newTestSource("films", 10)
		src.settings = `{"number_of_shards":2,"number_of_replicas":5}`
		var waits []string
		newHost := func(hc host.HealthConfig) *host.Host {
			l := sdk.NewLocal("test", src)
			if _, err := l.Configure(ctx, &sdk.ConfigureRequest{}); err != nil {
				t.Fatal(err)
			}
			h, err := host.New(ctx, host.Options{Env: env, Registry: reg, Engine: eng, Sources: []host.Source{l}, Health: hc,
				OnWait: func(s string) { waits = append(waits, s) }})
			if err != nil {
				t.Fatal(err)
			}
			return h
		}

		green := newHost(host.HealthConfig{WaitForStatus: host.WaitGreen, Timeout: 1500 * time.Millisecond})
		if _, err := green.Create(ctx, []string{"films"}, host.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		began := time.Now()
		_, err := green.Activate(ctx, []string{"films"})
		var ue *host.UnhealthyError
		if !errors.As(err, &ue) {
			t.Fatalf("activate waiting for green = %v, want an *UnhealthyError", err)
		}
		if waited := time.Since(began); waited < time.Second {
			t.Errorf("activate failed after %s; want it to wait the 1.5s timeout", waited)
		}
		physical := env + "films-1"
		if ue.Physical != physical || ue.Want != engine.Green || ue.Health.Status != engine.Yellow || ue.Health.UnassignedShards == 0 {
			t.Errorf("error = %+v, want %s yellow (not green) with unassigned replicas", ue, physical)
		}
		for _, w := range []string{"films-1", physical, "yellow, not green", "unassigned", "alias was not moved"} {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("error %q does not say %q", err, w)
			}
		}
		if got, err := eng.GetAlias(ctx, green.Alias("films")); err != nil || len(got) != 0 {
			t.Errorf("alias after a failed health wait = %v, %v; want none", got, err)
		}
		// The user is told before the wait, not only after it.
		if len(waits) != 1 || !strings.Contains(waits[0], "waiting up to 1.5s for films-1 to be green (it is yellow") {
			t.Errorf("OnWait got %q; want one sentence saying activate waits 1.5s for green while films-1 is yellow", waits)
		}
		waits = nil

		auto := newHost(host.HealthConfig{})
		if _, err := auto.Activate(ctx, []string{"films"}); err != nil {
			t.Fatalf("activate with auto (yellow, since green is impossible) = %v", err)
		}
		if got, _ := eng.GetAlias(ctx, auto.Alias("films")); !slices.Equal(got, []string{physical}) {
			t.Errorf("alias after activate = %v, want [%s]", got, physical)
		}
		if len(waits) != 0 {
			t.Errorf("OnWait got %q for an index already yellow; want nothing said", waits)
		}
		hist, err := auto.History(ctx, "films", 1)
		if err != nil || len(hist) != 1 || !strings.Contains(hist[0].Log, "cannot be green: waiting for yellow") {
			t.Errorf("the activate's log should say why it waited for yellow; got %+v, %v", hist, err)
		}
	})
}
