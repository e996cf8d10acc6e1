package sdk_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	sdk "github.com/demhost/demhost/plugin-sdk"
	"github.com/demhost/demhost/plugin-sdk/internal/testsource"
)

// trickle writes n documents, one every gap: an API answering a few
// records a second.
type trickle struct {
	testsource.Source
	n   int
	gap time.Duration
}

func (s *trickle) Stream(ctx context.Context, _ *sdk.StreamRequest, w sdk.Writer) error {
	for i := range s.n {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(s.gap):
		}
		if err := w.Write(sdk.Doc{ID: fmt.Sprint(i), Source: []byte(`{"n":1}`)}); err != nil {
			return err
		}
	}
	return nil
}

// TestSlowSourceBatchesByTime: a source far slower than a batch per idle
// timeout still reaches the host, in batches its batch delay cuts, and
// the host's idle timeout does not fire; with a delay longer than the
// timeout it would (what the delay is for).
func TestSlowSourceBatchesByTime(t *testing.T) {
	t.Parallel()
	src := &trickle{n: 30, gap: 50 * time.Millisecond} // 1.5 s, far below a batch of 256
	read := func(delay time.Duration) (docs, batches int, err error) {
		p := connect(t, src, []sdk.ServeOpt{sdk.WithBatchDelay(delay)}, sdk.WithIdleTimeout(500*time.Millisecond))
		err = p.Stream(context.Background(), &sdk.StreamRequest{Index: "items", Partitions: 1}, func(b *sdk.Batch) error {
			docs += len(b.Docs)
			batches++
			return nil
		})
		return docs, batches, err
	}
	docs, batches, err := read(100 * time.Millisecond)
	if err != nil || docs != src.n {
		t.Fatalf("%d documents, err %v; want %d, no error", docs, err, src.n)
	}
	if batches < 5 {
		t.Errorf("%d batches for 1.5 s of documents with a 100 ms delay; want them cut by time", batches)
	}
	if _, _, err := read(time.Hour); !errors.Is(err, sdk.ErrTimeout) {
		t.Errorf("with a delay longer than the idle timeout: err %v, want ErrTimeout", err)
	}

	// In-process the same, with the default delay (1 s): the first batch
	// is cut by time, the rest sent at the end.
	local := sdk.NewLocal("local", src)
	docs, batches = 0, 0
	err = local.Stream(context.Background(), &sdk.StreamRequest{Index: "items", Partitions: 1}, func(b *sdk.Batch) error {
		docs += len(b.Docs)
		batches++
		return nil
	})
	if err != nil || docs != src.n || batches < 2 {
		t.Errorf("local: %d documents in %d batches, err %v", docs, batches, err)
	}
}
