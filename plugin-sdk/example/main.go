// Command example is a complete demhost source plugin: it serves the index
// "books" from an in-memory list. Build it with `go build` and point a
// plugins entry of demhost.yaml at the binary.
package main

import (
	"context"
	"encoding/json"
	"fmt"

	sdk "github.com/demhost/demhost/plugin-sdk"
)

type book struct {
	ID     string `json:"-"`
	Title  string `json:"title"`
	Author string `json:"author"`
	Year   int    `json:"year"`
}

var books = []book{
	{"b1", "Middlemarch", "George Eliot", 1871},
	{"b2", "Moby-Dick", "Herman Melville", 1851},
	{"b3", "Things Fall Apart", "Chinua Achebe", 1958},
}

type source struct{}

func (source) Configure(context.Context, *sdk.ConfigureRequest) (*sdk.ConfigureResponse, error) {
	return &sdk.ConfigureResponse{}, nil // no settings
}

func (source) Describe(context.Context, *sdk.DescribeRequest) (*sdk.DescribeResponse, error) {
	return &sdk.DescribeResponse{Indexes: []sdk.IndexSpec{{
		Name: "books",
		Mappings: json.RawMessage(`{"properties":{
			"title":{"type":"text","fields":{"raw":{"type":"keyword"}}},
			"author":{"type":"keyword"},"year":{"type":"integer"}}}`),
		// One shard and no replica: green on a single node, the usual dev cluster.
		Settings: json.RawMessage(`{"number_of_shards":1,"number_of_replicas":0}`),
	}}}, nil
}

func (source) Stream(ctx context.Context, req *sdk.StreamRequest, w sdk.Writer) error {
	if req.Index != "books" {
		return fmt.Errorf("%w: %q", sdk.ErrUnknownIndex, req.Index)
	}
	for _, b := range books {
		src, err := json.Marshal(b)
		if err != nil {
			return fmt.Errorf("encode book %s: %w", b.ID, err)
		}
		if err := w.Write(sdk.Doc{ID: b.ID, Source: src}); err != nil {
			return err // the host went away
		}
	}
	return nil
}

func main() { sdk.Serve(source{}) }
