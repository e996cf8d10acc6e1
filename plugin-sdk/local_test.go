package sdk_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	sdk "github.com/demhost/demhost/plugin-sdk"
	"github.com/demhost/demhost/plugin-sdk/internal/testsource"
)

func TestLocal(t *testing.T) {
	t.Parallel()
	l := sdk.NewLocal("items", &testsource.Source{})
	if l.Name() != "items" {
		t.Errorf("Name() = %q", l.Name())
	}
	configure(t, l, `{"docs": 700}`)
	if d, err := l.Describe(context.Background(), &sdk.DescribeRequest{}); err != nil || len(d.Indexes) != 1 {
		t.Fatalf("describe: %v %v", d, err)
	}
	var sizes []int
	err := l.Stream(context.Background(), &sdk.StreamRequest{Index: "items"}, func(b *sdk.Batch) error {
		sizes = append(sizes, len(b.Docs))
		return nil
	})
	// 700 small docs: batches of DefaultBatchDocs, then the rest.
	if err != nil || len(sizes) != 3 || sizes[0] != sdk.DefaultBatchDocs || sizes[2] != 700-2*sdk.DefaultBatchDocs {
		t.Errorf("batch sizes %v, err %v", sizes, err)
	}
	if err := l.Close(); err != nil {
		t.Error(err)
	}
}

func TestLocalErrors(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	stop := errors.New("stop")
	tests := []struct {
		name    string
		mangle  func(int, *sdk.Doc)
		fn      func(*sdk.Batch) error
		index   string
		wantErr error
		want    string
	}{
		{"unknown index", nil, nil, "nope", sdk.ErrUnknownIndex, `plugin "l": stream index "nope": unknown index`},
		{"malformed", func(i int, d *sdk.Doc) {
			if i == 3 {
				d.Op, d.Source = sdk.OpIndex, []byte("nope")
			}
		}, nil, "items", sdk.ErrMalformedBatch, `doc 3 (id "3"): source is not a JSON object`},
		{"panic", func(i int, d *sdk.Doc) { panic("kaboom") }, nil, "items", nil, "source panicked: kaboom"},
		{"callback error", nil, func(*sdk.Batch) error { return stop }, "items", stop, "stop"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := sdk.NewLocal("l", &testsource.Source{Mangle: tt.mangle})
			configure(t, l, `{}`)
			fn := tt.fn
			if fn == nil {
				fn = func(*sdk.Batch) error { return nil }
			}
			err := l.Stream(ctx, &sdk.StreamRequest{Index: tt.index}, fn)
			if err == nil || (tt.wantErr != nil && !errors.Is(err, tt.wantErr)) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want %v containing %q", err, tt.wantErr, tt.want)
			}
		})
	}
	l := sdk.NewLocal("l", &testsource.Source{})
	_, err := l.Configure(ctx, &sdk.ConfigureRequest{Config: []byte(`{"docs": -1}`)})
	if !errors.Is(err, sdk.ErrInvalidConfig) || !strings.Contains(err.Error(), "key docs") {
		t.Errorf("bad config: %v", err)
	}
}
