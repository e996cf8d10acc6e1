package sdk_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/go-plugin"

	sdk "github.com/demhost/demhost/plugin-sdk"
	"github.com/demhost/demhost/plugin-sdk/internal/testsource"
)

// connect serves src in-process over go-plugin's real gRPC connection, as
// sdktest.Connect does, with the host's start options.
func connect(t *testing.T, src sdk.Source, serve []sdk.ServeOpt, opts ...sdk.StartOption) *sdk.Plugin {
	t.Helper()
	ps, err := sdk.PluginMap(src, serve...)
	if err != nil {
		t.Fatal(err)
	}
	client, _ := plugin.TestPluginGRPCConn(t, false, ps)
	p, err := sdk.Dispense("socket", client, opts...)
	if err != nil {
		client.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
	return p
}

func configured(t *testing.T, docs, docBytes int) *testsource.Source {
	t.Helper()
	src := &testsource.Source{}
	if _, err := src.Configure(context.Background(), &sdk.ConfigureRequest{Config: fmt.Appendf(nil, `{"docs": %d, "doc_bytes": %d}`, docs, docBytes)}); err != nil {
		t.Fatal(err)
	}
	return src
}

// readDocs streams req and returns copies of its documents, in order.
func readDocs(t *testing.T, p *sdk.Plugin, req *sdk.StreamRequest) []sdk.Doc {
	t.Helper()
	var out []sdk.Doc
	err := p.Stream(context.Background(), req, func(b *sdk.Batch) error {
		for _, d := range b.Docs {
			d.Source = bytes.Clone(d.Source)
			out = append(out, d)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestBatchSocket: the same documents, byte for byte and in order, arrive
// through the batch socket, through the call (a host that keeps them
// there), and from a plugin that ignores the socket (built before it);
// only the first reads the socket. Sizes from one document to batches of
// a few MB.
func TestBatchSocket(t *testing.T) {
	for _, size := range []struct{ docs, docBytes int }{{1, 100}, {3000, 1000}, {40, 3 << 20}} {
		t.Run(fmt.Sprintf("%dx%d", size.docs, size.docBytes), func(t *testing.T) {
			src := configured(t, size.docs, size.docBytes)
			req := &sdk.StreamRequest{Index: "items", Partitions: 1}
			before := sdk.BatchSocketStreams()
			viaSocket := readDocs(t, connect(t, src, nil), req)
			if sdk.BatchSocketStreams() == before {
				t.Error("the default path did not read the batch socket")
			}
			viaCall := readDocs(t, connect(t, src, nil, sdk.WithoutBatchSocket()), req)
			oldPlugin := readDocs(t, connect(t, src, []sdk.ServeOpt{sdk.ServeWithoutBatchSocket()}), req)
			if len(viaSocket) != size.docs {
				t.Fatalf("%d documents through the socket, want %d", len(viaSocket), size.docs)
			}
			for name, got := range map[string][]sdk.Doc{"the call": viaCall, "a plugin without the socket": oldPlugin} {
				if len(got) != len(viaSocket) {
					t.Fatalf("%s: %d documents, the socket %d", name, len(got), len(viaSocket))
				}
				for i := range got {
					if got[i].ID != viaSocket[i].ID || got[i].Op != viaSocket[i].Op || !bytes.Equal(got[i].Source, viaSocket[i].Source) {
						t.Fatalf("%s: document %d differs: %q vs %q", name, i, got[i].ID, viaSocket[i].ID)
					}
				}
			}
		})
	}
}

// TestBatchSocketShortStreams: a stream so short that the call may end
// before its connection reaches the host still delivers its document
// (the trailer says the socket was used).
func TestBatchSocketShortStreams(t *testing.T) {
	p := connect(t, configured(t, 1, 50), nil)
	for i := range 200 {
		if got := readDocs(t, p, &sdk.StreamRequest{Index: "items", Partitions: 1}); len(got) != 1 {
			t.Fatalf("stream %d: %d documents, want 1", i, len(got))
		}
	}
}

// failing writes n documents, then fails.
type failing struct {
	testsource.Source
	n int
}

func (f *failing) Stream(ctx context.Context, req *sdk.StreamRequest, w sdk.Writer) error {
	for i := range f.n {
		if err := w.Write(sdk.Doc{ID: fmt.Sprint(i), Source: []byte(`{"n":1}`)}); err != nil {
			return err
		}
	}
	return errors.New("upstream went away")
}

// TestBatchSocketErrors: the plugin's error after some batches arrives
// with them; the host's callback error stops the plugin; cancelling the
// context ends the stream.
func TestBatchSocketErrors(t *testing.T) {
	t.Run("plugin error", func(t *testing.T) {
		p := connect(t, &failing{n: 1000}, []sdk.ServeOpt{sdk.WithBatchDocs(100)})
		docs := 0
		err := p.Stream(context.Background(), &sdk.StreamRequest{Index: "items", Partitions: 1}, func(b *sdk.Batch) error {
			docs += len(b.Docs)
			return nil
		})
		if err == nil || !strings.Contains(err.Error(), "upstream went away") {
			t.Fatalf("err = %v, want the plugin's error", err)
		}
		if docs != 1000 {
			t.Errorf("%d documents before the error, want the 1000 written", docs)
		}
	})
	t.Run("callback error", func(t *testing.T) {
		stopped := make(chan struct{})
		src := configured(t, 5_000_000, 200)
		p := connect(t, &watched{Source: src, done: stopped}, nil)
		errStop := errors.New("stop here")
		err := p.Stream(context.Background(), &sdk.StreamRequest{Index: "items", Partitions: 1}, func(*sdk.Batch) error { return errStop })
		if !errors.Is(err, errStop) {
			t.Fatalf("err = %v, want the callback's", err)
		}
		select {
		case <-stopped:
		case <-time.After(10 * time.Second):
			t.Fatal("the plugin's stream went on after the host stopped reading")
		}
	})
	t.Run("cancel", func(t *testing.T) {
		p := connect(t, configured(t, 5_000_000, 200), nil)
		ctx, cancel := context.WithCancel(context.Background())
		docs := 0
		err := p.Stream(ctx, &sdk.StreamRequest{Index: "items", Partitions: 1}, func(b *sdk.Batch) error {
			if docs += len(b.Docs); docs > 10_000 {
				cancel()
			}
			return nil
		})
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want context.Canceled", err)
		}
	})
}

// watched closes done when its stream returns.
type watched struct {
	*testsource.Source
	done chan struct{}
}

func (w *watched) Stream(ctx context.Context, req *sdk.StreamRequest, wr sdk.Writer) error {
	defer close(w.done)
	return w.Source.Stream(ctx, req, wr)
}

// TestBatchSocketLeavesNoFile: once the plugin is closed nothing of its
// batch socket is left in $TMPDIR (on Linux there never is: the socket is
// abstract, so a killed host leaves nothing either).
func TestBatchSocketLeavesNoFile(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("TMPDIR", dir)
	p := connect(t, configured(t, 100, 100), nil)
	before := sdk.BatchSocketStreams()
	if got := readDocs(t, p, &sdk.StreamRequest{Index: "items", Partitions: 1}); len(got) != 100 || sdk.BatchSocketStreams() == before {
		t.Fatalf("%d documents, socket used %v", len(got), sdk.BatchSocketStreams() != before)
	}
	if runtime.GOOS == "linux" {
		// Abstract: not even while the plugin runs.
		if left := batchFiles(t, dir); len(left) > 0 {
			t.Errorf("in TMPDIR while the plugin runs: %v", left)
		}
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if left := batchFiles(t, dir); len(left) > 0 {
		t.Errorf("left in TMPDIR: %v", left)
	}
}

// batchFiles lists what the batch socket made in dir (go-plugin's own
// test connection puts its socket there too).
func batchFiles(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), "demhost-batches-") {
			out = append(out, e.Name())
		}
	}
	return out
}
