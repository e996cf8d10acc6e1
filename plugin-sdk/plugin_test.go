package sdk_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	sdk "github.com/demhost/demhost/plugin-sdk"
	"github.com/demhost/demhost/plugin-sdk/internal/testsource"
)

// streamer is what Plugin and Local have in common.
type streamer interface {
	Stream(ctx context.Context, req *sdk.StreamRequest, fn func(*sdk.Batch) error) error
}

// collect streams req and returns the ids seen, by op, failing on
// duplicates.
func collect(t *testing.T, s streamer, req *sdk.StreamRequest) (index, del []string, err error) {
	t.Helper()
	seen := map[string]bool{}
	err = s.Stream(context.Background(), req, func(b *sdk.Batch) error {
		for _, d := range b.Docs {
			if seen[d.ID] {
				t.Errorf("duplicate id %q", d.ID)
			}
			seen[d.ID] = true
			if d.Op == sdk.OpDelete {
				del = append(del, d.ID)
			} else {
				index = append(index, d.ID)
			}
		}
		return nil
	})
	return index, del, err
}

func TestGoodPlugin(t *testing.T) {
	t.Parallel()
	p := start(t, "good")
	ctx := context.Background()
	if p.Name() != "good" {
		t.Errorf("Name() = %q", p.Name())
	}
	configure(t, p, `{"docs": 1000}`)
	desc, err := p.Describe(ctx, &sdk.DescribeRequest{})
	if err != nil {
		t.Fatal(err)
	}
	want := sdk.Capabilities{Partitions: true, Since: true, Deletes: true}
	if len(desc.Indexes) != 1 || desc.Indexes[0].Name != "items" || desc.Indexes[0].Capabilities != want {
		t.Fatalf("describe = %+v", desc.Indexes)
	}
	if !strings.Contains(string(desc.Indexes[0].Mappings), `"integer"`) {
		t.Errorf("mappings = %s", desc.Indexes[0].Mappings)
	}

	index, del, err := collect(t, p, &sdk.StreamRequest{Index: "items", Partitions: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(index) != 858 || len(del) != 142 {
		t.Errorf("got %d index, %d delete docs, want 858 and 142", len(index), len(del))
	}

	total := 0
	for k := range 3 {
		i, d, err := collect(t, p, &sdk.StreamRequest{Index: "items", Partition: k, Partitions: 3})
		if err != nil {
			t.Fatal(err)
		}
		total += len(i) + len(d)
		for _, id := range append(i, d...) {
			if n, _ := strconv.Atoi(id); n%3 != k {
				t.Errorf("partition %d got id %s", k, id)
			}
		}
	}
	if total != 1000 {
		t.Errorf("partitions hold %d docs, want 1000", total)
	}

	since := testsource.Base.Add(900 * time.Second)
	i, d, err := collect(t, p, &sdk.StreamRequest{Index: "items", Since: since})
	if err != nil {
		t.Fatal(err)
	}
	if len(i)+len(d) != 100 {
		t.Errorf("since got %d docs, want 100", len(i)+len(d))
	}
}

func TestGoodPluginErrors(t *testing.T) {
	t.Parallel()
	p := start(t, "good")
	ctx := context.Background()

	_, err := p.Configure(ctx, &sdk.ConfigureRequest{Config: []byte(`{"dcos": 3}`)})
	if !errors.Is(err, sdk.ErrInvalidConfig) || !strings.Contains(err.Error(), `unknown key "dcos"`) ||
		!strings.Contains(err.Error(), `plugin "good": configure`) {
		t.Errorf("bad config: %v", err)
	}
	configure(t, p, `{}`)
	err = p.Stream(ctx, &sdk.StreamRequest{Index: "nope"}, func(*sdk.Batch) error { return nil })
	if !errors.Is(err, sdk.ErrUnknownIndex) || !strings.Contains(err.Error(), `plugin "good": stream index "nope"`) {
		t.Errorf("unknown index: %v", err)
	}

	// The callback's error comes back as is and the plugin stays usable.
	stop := errors.New("stop here")
	err = p.Stream(ctx, &sdk.StreamRequest{Index: "items"}, func(*sdk.Batch) error { return stop })
	if err != stop {
		t.Errorf("callback error: got %v, want it unchanged", err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	err = p.Stream(cctx, &sdk.StreamRequest{Index: "items"}, func(*sdk.Batch) error { return nil })
	if !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled stream: %v", err)
	}
	if _, _, err := collect(t, p, &sdk.StreamRequest{Index: "items"}); err != nil {
		t.Errorf("stream after errors: %v", err)
	}

	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Describe(ctx, &sdk.DescribeRequest{}); !errors.Is(err, sdk.ErrClosed) {
		t.Errorf("describe after close: %v", err)
	}
}

func TestStreamFailures(t *testing.T) {
	t.Parallel()
	tests := []struct {
		plugin  string
		req     sdk.StreamRequest
		wantErr error
		want    []string
		alive   bool // the process survives the failed stream
		someOK  bool // batches arrive before the failure
	}{
		{"crash", sdk.StreamRequest{Index: "items"}, sdk.ErrPluginExited,
			[]string{`plugin "crash": stream index "items"`, "exit status 2", "boom at document 1000"}, false, false},
		{"hang", sdk.StreamRequest{Index: "items"}, sdk.ErrTimeout,
			[]string{`plugin "hang": stream index "items"`, "no answer for 300ms", "hung"}, true, true},
		{"garbage", sdk.StreamRequest{Index: "items"}, sdk.ErrMalformedBatch,
			[]string{`plugin "garbage": stream index "items"`, `doc 250 (id "250")`, "not a JSON object"}, true, true},
		{"garbage", sdk.StreamRequest{Index: "items", Since: testsource.Base.Add(251 * time.Second)}, sdk.ErrMalformedBatch,
			[]string{`doc 9 (id "")`, "empty id"}, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.plugin, func(t *testing.T) {
			t.Parallel()
			p := start(t, tt.plugin, sdk.WithIdleTimeout(300*time.Millisecond))
			configure(t, p, `{"docs": 5000}`)
			docs := 0
			err := p.Stream(context.Background(), &tt.req, func(b *sdk.Batch) error {
				docs += len(b.Docs)
				return nil
			})
			t.Logf("error: %v", err)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			if tt.someOK && docs == 0 {
				t.Errorf("no batch arrived before the failure")
			}
			if tt.alive {
				// The host can still talk to it: Describe is unaffected.
				if _, err := p.Describe(context.Background(), &sdk.DescribeRequest{}); err != nil {
					t.Errorf("describe after failed stream: %v", err)
				}
			} else {
				requireGone(t, p.Pid())
			}
		})
	}
}

func TestStartFailures(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	pidFile := filepath.Join(dir, "sleeper.pid")
	sleeper := filepath.Join(dir, "sleeper")
	writeFile(t, sleeper, "#!/bin/sh\necho $$ > "+pidFile+"\nexec sleep 60\n", 0o755)
	plain := filepath.Join(dir, "plain.txt")
	writeFile(t, plain, "not a program\n", 0o644)

	tests := []struct {
		name    string
		path    string
		wantErr error
		want    []string
		pidFile string
	}{
		{"missing", filepath.Join(dir, "nope"), fs.ErrNotExist, []string{"does not exist", filepath.Join(dir, "nope")}, ""},
		{"directory", dir, nil, []string{"is a directory"}, ""},
		{"not executable", plain, fs.ErrPermission, []string{"not executable"}, ""},
		{"not a plugin", bin(t, "notplugin"), sdk.ErrNotAPlugin, []string{bin(t, "notplugin"), "handshake", `printed "usage: notplugin FILE"`}, ""},
		{"wrong version", bin(t, "badversion"), sdk.ErrProtocolVersion, []string{"rebuild the plugin", "version"}, ""},
		{"no handshake", sleeper, sdk.ErrTimeout, []string{"did not complete the handshake within 500ms"}, pidFile},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := sdk.Start(context.Background(), "x", tt.path,
				sdk.WithStartTimeout(500*time.Millisecond), sdk.WithLogOutput(io.Discard))
			if err == nil {
				p.Close()
				t.Fatal("Start succeeded")
			}
			t.Logf("error: %v", err)
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Errorf("err = %v, want %v", err, tt.wantErr)
			}
			for _, w := range append(tt.want, `plugin "x": start`) {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			if tt.pidFile != "" {
				b, rerr := os.ReadFile(tt.pidFile)
				pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
				if rerr != nil || pid == 0 {
					t.Fatalf("pid file: %v %q", rerr, b)
				}
				requireGone(t, pid)
			}
		})
	}
}

func TestStartOptionsValidate(t *testing.T) {
	t.Parallel()
	for _, opt := range []sdk.StartOption{sdk.WithStartTimeout(0), sdk.WithIdleTimeout(-time.Second), sdk.WithLogOutput(nil)} {
		if _, err := sdk.Start(context.Background(), "good", bin(t, "good"), opt); err == nil {
			t.Error("bad option accepted")
		}
	}
}

func TestStartCancelled(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := sdk.Start(ctx, "good", bin(t, "good")); !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}

func TestExamplePlugin(t *testing.T) {
	t.Parallel()
	p := start(t, "example")
	configure(t, p, `{}`)
	index, _, err := collect(t, p, &sdk.StreamRequest{Index: "books"})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(index, ",") != "b1,b2,b3" {
		t.Errorf("ids = %v", index)
	}
}

func writeFile(t *testing.T, path, body string, mode os.FileMode) {
	t.Helper()
	if err := os.WriteFile(path, []byte(body), mode); err != nil {
		t.Fatal(err)
	}
}

// The host reads partitions in parallel over one plugin.
func TestConcurrentPartitions(t *testing.T) {
	t.Parallel()
	p := start(t, "good")
	configure(t, p, `{"docs": 30000}`)
	const n = 4
	counts := make([]int, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for k := range n {
		wg.Go(func() {
			errs[k] = p.Stream(context.Background(), &sdk.StreamRequest{Index: "items", Partition: k, Partitions: n},
				func(b *sdk.Batch) error {
					for _, d := range b.Docs {
						if id, _ := strconv.Atoi(d.ID); id%n != k {
							return fmt.Errorf("partition %d got id %s", k, d.ID)
						}
					}
					counts[k] += len(b.Docs)
					return nil
				})
		})
	}
	wg.Wait()
	for k := range n {
		if errs[k] != nil || counts[k] != 30000/n {
			t.Errorf("partition %d: %d docs, err %v", k, counts[k], errs[k])
		}
	}
}
