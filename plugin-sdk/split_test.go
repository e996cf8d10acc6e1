package sdk_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	sdk "github.com/demhost/demhost/plugin-sdk"
	"github.com/demhost/demhost/plugin-sdk/internal/testsource"
	"github.com/demhost/demhost/plugin-sdk/sdktest"
)

// splitting is the test source with a split of its own: the split names
// the request it answered, and a stream sends its split back as the id of
// its one document.
type splitting struct {
	testsource.Source
}

func (s *splitting) Split(_ context.Context, req *sdk.SplitRequest) (*sdk.SplitResponse, error) {
	if req.Index != "items" {
		return nil, sdk.ErrUnknownIndex
	}
	return &sdk.SplitResponse{Split: fmt.Appendf(nil, "%d@%d", req.Partitions, req.Since.UnixNano())}, nil
}

func (s *splitting) Stream(_ context.Context, req *sdk.StreamRequest, w sdk.Writer) error {
	return w.Write(sdk.Doc{ID: fmt.Sprintf("%d/%d:%s", req.Partition, req.Partitions, req.Split), Source: []byte(`{}`)})
}

var _ sdk.Splitter = (*splitting)(nil)

type splitCaller interface {
	Split(ctx context.Context, req *sdk.SplitRequest) (*sdk.SplitResponse, error)
	Stream(ctx context.Context, req *sdk.StreamRequest, fn func(*sdk.Batch) error) error
}

// TestSplit checks the call over go-plugin's real gRPC connection and
// in-process: a Splitter's answer arrives for the partition count and
// since asked, a stream given it receives it byte for byte, its error
// keeps its sentinel, and a source without Split answers with no split.
func TestSplit(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	since := time.Date(2026, 11, 30, 12, 0, 0, 5, time.UTC)
	paths := map[string]func(sdk.Source) splitCaller{
		"grpc":  func(s sdk.Source) splitCaller { return sdktest.Connect(t, s) },
		"local": func(s sdk.Source) splitCaller { return sdk.NewLocal("local", s) },
	}
	for name, open := range paths {
		t.Run(name, func(t *testing.T) {
			c := open(&splitting{})
			resp, err := c.Split(ctx, &sdk.SplitRequest{Index: "items", Since: since, Partitions: 128})
			want := fmt.Sprintf("128@%d", since.UnixNano())
			if err != nil || string(resp.Split) != want {
				t.Fatalf("split %v, %v; want %q", resp, err, want)
			}
			var got string
			err = c.Stream(ctx, &sdk.StreamRequest{Index: "items", Partition: 7, Partitions: 128, Split: resp.Split}, func(b *sdk.Batch) error {
				for _, d := range b.Docs {
					got = d.ID
				}
				return nil
			})
			if err != nil || got != "7/128:"+want {
				t.Errorf("stream with the split saw %q, %v; want %q", got, err, "7/128:"+want)
			}
			if _, err := c.Split(ctx, &sdk.SplitRequest{Index: "other", Partitions: 2}); !errors.Is(err, sdk.ErrUnknownIndex) {
				t.Errorf("split of an unknown index: %v, want ErrUnknownIndex", err)
			}
			resp, err = open(&testsource.Source{}).Split(ctx, &sdk.SplitRequest{Index: "items", Partitions: 4})
			if err != nil || resp.Split != nil {
				t.Errorf("a source without Split answered %v, %v; want no split and no error", resp, err)
			}
		})
	}
}
