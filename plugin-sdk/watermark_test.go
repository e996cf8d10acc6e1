package sdk_test

import (
	"context"
	"errors"
	"testing"
	"time"

	sdk "github.com/demhost/demhost/plugin-sdk"
	"github.com/demhost/demhost/plugin-sdk/internal/testsource"
	"github.com/demhost/demhost/plugin-sdk/sdktest"
)

// watermarked is the test source with a watermark of its own.
type watermarked struct {
	testsource.Source
	at  time.Time
	err error
}

func (w *watermarked) Watermark(_ context.Context, req *sdk.WatermarkRequest) (*sdk.WatermarkResponse, error) {
	if req.Index != "items" {
		return nil, sdk.ErrUnknownIndex
	}
	return &sdk.WatermarkResponse{Watermark: w.at}, w.err
}

var _ sdk.Watermarker = (*watermarked)(nil)

type watermarkCaller interface {
	Watermark(ctx context.Context, req *sdk.WatermarkRequest) (*sdk.WatermarkResponse, error)
}

// TestWatermark checks the call over go-plugin's real gRPC connection and
// in-process: a Watermarker's time arrives to the nanosecond, its error
// keeps its sentinel, and a source without one answers the zero time.
func TestWatermark(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 11, 30, 4, 17, 50, 123456789, time.UTC)
	ctx := context.Background()
	paths := map[string]func(sdk.Source) watermarkCaller{
		"grpc":  func(s sdk.Source) watermarkCaller { return sdktest.Connect(t, s) },
		"local": func(s sdk.Source) watermarkCaller { return sdk.NewLocal("local", s) },
	}
	for name, open := range paths {
		t.Run(name, func(t *testing.T) {
			resp, err := open(&watermarked{at: at}).Watermark(ctx, &sdk.WatermarkRequest{Index: "items"})
			if err != nil || !resp.Watermark.Equal(at) {
				t.Errorf("watermark %v, %v; want %v", resp, err, at)
			}
			_, err = open(&watermarked{at: at}).Watermark(ctx, &sdk.WatermarkRequest{Index: "other"})
			if !errors.Is(err, sdk.ErrUnknownIndex) {
				t.Errorf("watermark of an unknown index: %v, want ErrUnknownIndex", err)
			}
			resp, err = open(&testsource.Source{}).Watermark(ctx, &sdk.WatermarkRequest{Index: "items"})
			if err != nil || !resp.Watermark.IsZero() {
				t.Errorf("a source without a watermark answered %v, %v; want the zero time", resp, err)
			}
		})
	}
}

func TestWatermarkConformance(t *testing.T) {
	t.Parallel()
	sdktest.Run(t, &watermarked{at: testsource.Base.Add(5 * time.Second)}, sdktest.Config{Config: []byte(`{"docs": 50}`)})
}
