package sdk_test

import (
	"context"
	"errors"
	"testing"

	sdk "github.com/demhost/demhost/plugin-sdk"
	"github.com/demhost/demhost/plugin-sdk/internal/testsource"
	"github.com/demhost/demhost/plugin-sdk/sdktest"
)

// counted is the test source with a count of its own.
type counted struct {
	testsource.Source
	n int64
}

func (c *counted) Count(_ context.Context, req *sdk.CountRequest) (*sdk.CountResponse, error) {
	if req.Index != "items" {
		return nil, sdk.ErrUnknownIndex
	}
	return &sdk.CountResponse{Count: c.n}, nil
}

var _ sdk.Counter = (*counted)(nil)

type countCaller interface {
	Count(ctx context.Context, req *sdk.CountRequest) (*sdk.CountResponse, error)
}

// TestCount checks the call over go-plugin's real gRPC connection and
// in-process: a Counter's count arrives (0 included), its error keeps its
// sentinel, and a source without Count answers ErrNoCount.
func TestCount(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	paths := map[string]func(sdk.Source) countCaller{
		"grpc":  func(s sdk.Source) countCaller { return sdktest.Connect(t, s) },
		"local": func(s sdk.Source) countCaller { return sdk.NewLocal("local", s) },
	}
	for name, open := range paths {
		t.Run(name, func(t *testing.T) {
			for _, n := range []int64{0, 5_000_000_000} {
				resp, err := open(&counted{n: n}).Count(ctx, &sdk.CountRequest{Index: "items"})
				if err != nil || resp.Count != n {
					t.Errorf("count %v, %v; want %d", resp, err, n)
				}
			}
			_, err := open(&counted{n: 1}).Count(ctx, &sdk.CountRequest{Index: "other"})
			if !errors.Is(err, sdk.ErrUnknownIndex) {
				t.Errorf("count of an unknown index: %v, want ErrUnknownIndex", err)
			}
			_, err = open(&testsource.Source{}).Count(ctx, &sdk.CountRequest{Index: "items"})
			if !errors.Is(err, sdk.ErrNoCount) {
				t.Errorf("a source without Count answered %v; want ErrNoCount", err)
			}
		})
	}
}
