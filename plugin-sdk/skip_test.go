package sdk_test

import (
	"context"
	"testing"

	sdk "github.com/demhost/demhost/plugin-sdk"
	"github.com/demhost/demhost/plugin-sdk/internal/testsource"
	"github.com/demhost/demhost/plugin-sdk/sdktest"
)

// skipper is the test source that also reports one skipped record.
type skipper struct{ testsource.Source }

func (s *skipper) Stream(ctx context.Context, req *sdk.StreamRequest, w sdk.Writer) error {
	if err := sdk.Skip(w, "row-9", "no title; not a JSON object either: {"); err != nil {
		return err
	}
	return s.Source.Stream(ctx, req, w)
}

// TestSkipCrossesTheWire: a skip arrives at the host as an OpSkip
// document with its id and reason, over gRPC and in-process, beside the
// documents, and the reason is not checked as JSON.
func TestSkipCrossesTheWire(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for name, p := range map[string]interface {
		Configure(context.Context, *sdk.ConfigureRequest) (*sdk.ConfigureResponse, error)
		Stream(context.Context, *sdk.StreamRequest, func(*sdk.Batch) error) error
	}{
		"grpc":  sdktest.Connect(t, &skipper{}),
		"local": sdk.NewLocal("local", &skipper{}),
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := p.Configure(ctx, &sdk.ConfigureRequest{Config: []byte(`{"docs": 5}`)}); err != nil {
				t.Fatal(err)
			}
			var docs int
			var skips []string
			err := p.Stream(ctx, &sdk.StreamRequest{Index: "items", Partitions: 1}, func(b *sdk.Batch) error {
				for _, d := range b.Docs {
					if d.Op == sdk.OpSkip {
						skips = append(skips, d.ID+": "+string(d.Source))
					} else {
						docs++
					}
				}
				return nil
			})
			if err != nil || docs != 5 || len(skips) != 1 || skips[0] != "row-9: no title; not a JSON object either: {" {
				t.Errorf("stream: %v, %d docs, skips %q; want 5 docs and the one skip", err, docs, skips)
			}
		})
	}
}
