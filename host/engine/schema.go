package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"io"

	"github.com/elastic/go-elasticsearch/v8/esapi"
	"github.com/opensearch-project/opensearch-go/v4/opensearchapi"
)

// This file reads and changes the schema of an existing index: its
// mapping (GetMapping, PutMapping) for both vendors. Settings are read and
// changed by GetSettings and PutSettings in adapter.go.

// schemaClient is the part of client that reads and writes mappings.
type schemaClient interface {
	getMapping(ctx context.Context, index string) raw
	putMapping(ctx context.Context, index string, body io.Reader) raw
}

func (a *adapter) GetMapping(ctx context.Context, index string) (json.RawMessage, error) {
	if err := checkExplicit("get mapping", index); err != nil {
		return nil, err
	}
	r, err := a.call(ctx, "get mapping", index, func(ctx context.Context) raw {
		return a.c.getMapping(ctx, index)
	})
	if err != nil {
		return nil, err
	}
	op := r.op
	var got map[string]struct {
		Mappings json.RawMessage `json:"mappings"`
	}
	if err := decode(r, &got); err != nil {
		return nil, err
	}
	if len(got) != 1 {
		return nil, &Error{Op: op, Index: index,
			Reason: fmt.Sprintf("expected one index, got %d", len(got)), Err: ErrRejected}
	}
	for _, v := range got {
		if len(v.Mappings) == 0 {
			return json.RawMessage("{}"), nil
		}
		return v.Mappings, nil
	}
	return nil, nil // not reached
}

func (a *adapter) PutMapping(ctx context.Context, index string, body []byte) error {
	if err := checkExplicit("put mapping", index); err != nil {
		return err
	}
	return a.done(ctx, "put mapping", index, func(ctx context.Context) raw {
		return a.c.putMapping(ctx, index, bodyReader(body))
	})
}

func (e esClient) getMapping(ctx context.Context, index string) raw {
	return esRaw(esapi.IndicesGetMappingRequest{Index: []string{index}}.Do(ctx, e.c))
}

func (e esClient) putMapping(ctx context.Context, index string, body io.Reader) raw {
	return esRaw(esapi.IndicesPutMappingRequest{Index: []string{index}, Body: body}.Do(ctx, e.c))
}

func (o osClient) getMapping(ctx context.Context, index string) raw {
	return o.do(ctx, opensearchapi.MappingGetReq{Indices: []string{index}})
}

func (o osClient) putMapping(ctx context.Context, index string, body io.Reader) raw {
	return o.do(ctx, opensearchapi.MappingPutReq{Indices: []string{index}, Body: body})
}
