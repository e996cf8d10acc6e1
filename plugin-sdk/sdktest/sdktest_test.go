package sdktest_test

import (
	"context"
	"errors"
	"testing"

	sdk "github.com/demhost/demhost/plugin-sdk"
	"github.com/demhost/demhost/plugin-sdk/internal/testsource"
	"github.com/demhost/demhost/plugin-sdk/sdktest"
)

func TestRunTestSource(t *testing.T) {
	t.Parallel()
	sdktest.Run(t, &testsource.Source{}, sdktest.Config{Config: []byte(`{"docs": 2000}`), Partitions: 4})
}

func TestConnectBatchesAndValidates(t *testing.T) {
	t.Parallel()
	src := &testsource.Source{Mangle: func(i int, d *sdk.Doc) {
		if i == 42 {
			d.Op, d.Source = sdk.OpIndex, []byte(`"just a string"`)
		}
	}}
	p := sdktest.Connect(t, src, sdk.WithBatchDocs(10))
	ctx := context.Background()
	if _, err := p.Configure(ctx, &sdk.ConfigureRequest{Config: []byte(`{"docs": 40}`)}); err != nil {
		t.Fatal(err)
	}
	var sizes []int
	err := p.Stream(ctx, &sdk.StreamRequest{Index: "items", Partitions: 1}, func(b *sdk.Batch) error {
		sizes = append(sizes, len(b.Docs))
		return nil
	})
	if err != nil || len(sizes) != 4 || sizes[0] != 10 {
		t.Errorf("batch sizes %v, err %v; want 4 batches of 10", sizes, err)
	}

	if _, err := p.Configure(ctx, &sdk.ConfigureRequest{Config: []byte(`{"docs": 100}`)}); err != nil {
		t.Fatal(err)
	}
	docs := 0
	err = p.Stream(ctx, &sdk.StreamRequest{Index: "items"}, func(b *sdk.Batch) error { docs += len(b.Docs); return nil })
	if !errors.Is(err, sdk.ErrMalformedBatch) || docs != 40 {
		t.Errorf("err %v after %d docs, want ErrMalformedBatch after 40", err, docs)
	}
}

func TestReadAllCopies(t *testing.T) {
	t.Parallel()
	p := sdktest.Connect(t, &testsource.Source{})
	if _, err := p.Configure(context.Background(), &sdk.ConfigureRequest{Config: []byte(`{"docs": 600}`)}); err != nil {
		t.Fatal(err)
	}
	docs := sdktest.ReadAll(t, p, &sdk.StreamRequest{Index: "items"})
	if len(docs) != 600 {
		t.Fatalf("got %d docs", len(docs))
	}
	// Later batches reuse buffers: earlier copies must be intact.
	if got := string(docs[0].Source[:7]); got != `{"n":0,` {
		t.Errorf("doc 0 source starts %q", got)
	}
}
