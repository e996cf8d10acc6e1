package estest

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/demhost/demhost/host/engine"
	"github.com/demhost/demhost/internal/testenv"
)

// logRecorder keeps what New logs, and passes everything else to the test.
type logRecorder struct {
	testing.TB
	mu   sync.Mutex
	logs []string
}

func (l *logRecorder) Logf(format string, args ...any) {
	l.mu.Lock()
	l.logs = append(l.logs, fmt.Sprintf(format, args...))
	l.mu.Unlock()
	l.TB.Logf(format, args...)
}

func randomHex(t *testing.T) string {
	t.Helper()
	b := make([]byte, 3)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// TestSweepRemovesOnlyOldEstestPrefixes plants, under a base prefix of its
// own, what a killed test binary leaves (indexes and aliases under a
// 2-hour-old prefix), what a running one has (a 1-minute-old prefix), and
// names that merely look like estest's; New removes only the first.
func TestSweepRemovesOnlyOldEstestPrefixes(t *testing.T) {
	t.Parallel()
	for _, e := range testenv.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			ctx := testenv.Context(t)
			eng, _, err := openEngine(e.URL)
			if err != nil {
				t.Fatal(err)
			}
			base := "sweep" + randomHex(t) + "_"
			now := time.Now()
			old := makePrefix(base, now.Add(-2*time.Hour).Unix(), "killed", randomHex(t))
			young := makePrefix(base, now.Add(-time.Minute).Unix(), "running", randomHex(t))
			// The shape of an old prefix, with a checksum that does not match.
			fake := old[:len(old)-checkLen-1] + "0000_"
			if fake == old {
				fake = old[:len(old)-checkLen-1] + "0001_"
			}
			outside := base + "outside" // not under base+"t" at all
			similar := base + "tooold_data"
			indices := []string{old + "movies-1", old + "books-1", young + "movies-1", fake + "movies-1", outside, similar}
			t.Cleanup(func() {
				for _, ix := range indices {
					if err := eng.DeleteIndices(ctx, ix); err != nil && !errors.Is(err, engine.ErrNotFound) {
						t.Logf("delete %s: %v", ix, err)
					}
				}
			})
			for _, ix := range indices {
				if err := eng.CreateIndex(ctx, ix, []byte(`{"settings":{"number_of_shards":1,"number_of_replicas":0}}`)); err != nil {
					t.Fatal(err)
				}
			}
			for _, a := range [][2]string{
				{old + "movies", old + "movies-1"}, // goes with its index
				{old + "stray", outside},           // an old alias on an index that stays
				{old + "stray2", similar},          // the same, on a listed index
				{young + "movies", young + "movies-1"},
				{young + "stray", outside},
				{fake + "stray", outside},
			} {
				if err := eng.SwapAlias(ctx, a[0], a[1], nil); err != nil {
					t.Fatal(err)
				}
			}

			rec := &logRecorder{TB: t}
			env := New(rec, WithEngineURL(e.URL), WithBasePrefix(base))
			if _, _, ok := parsePrefix(base, env.Prefix()); !ok {
				t.Errorf("Prefix() = %q, not an estest prefix under %q", env.Prefix(), base)
			}

			for _, gone := range []string{old + "movies-1", old + "books-1"} {
				if ok, err := eng.Exists(ctx, gone); err != nil || ok {
					t.Errorf("index %s of a 2-hour-old prefix still exists (err %v)", gone, err)
				}
			}
			for _, a := range []string{old + "movies", old + "stray", old + "stray2"} {
				if to, err := eng.GetAlias(ctx, a); err != nil || len(to) > 0 {
					t.Errorf("alias %s of a 2-hour-old prefix still points at %v (err %v)", a, to, err)
				}
			}
			for _, kept := range []string{young + "movies-1", fake + "movies-1", outside, similar} {
				if ok, err := eng.Exists(ctx, kept); err != nil || !ok {
					t.Errorf("index %s was removed (err %v)", kept, err)
				}
			}
			for a, want := range map[string]string{young + "movies": young + "movies-1", young + "stray": outside, fake + "stray": outside} {
				if to, err := eng.GetAlias(ctx, a); err != nil || !slices.Equal(to, []string{want}) {
					t.Errorf("alias %s points at %v (err %v), want %s", a, to, err, want)
				}
			}
			logged := strings.Join(rec.logs, "\n")
			for _, w := range []string{"index " + old + "movies-1", "alias " + old + "stray (of " + outside + ")", "older than 1h0m0s"} {
				if !strings.Contains(logged, w) {
					t.Errorf("New's log lacks %q:\n%s", w, logged)
				}
			}

			// The sweep runs once per process: a second New, even with
			// a tiny age, leaves the young prefix alone.
			New(t, WithEngineURL(e.URL), WithBasePrefix(base), WithSweepAge(time.Nanosecond))
			if ok, err := eng.Exists(ctx, young+"movies-1"); err != nil || !ok {
				t.Errorf("a second New swept again: %s is gone (err %v)", young+"movies-1", err)
			}
		})
	}
}
