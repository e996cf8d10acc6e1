package estest_test

import (
	"context"
	"encoding/json"
	"fmt"

	sdk "github.com/demhost/demhost/plugin-sdk"
)

// countSource provides one index, "movies", of n small documents; its
// config may set {"n": …} instead.
type countSource struct{ n int }

var _ sdk.Source = (*countSource)(nil)

func (s *countSource) Configure(_ context.Context, req *sdk.ConfigureRequest) (*sdk.ConfigureResponse, error) {
	var c struct {
		N *int `json:"n"`
	}
	if err := json.Unmarshal(req.Config, &c); err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	if c.N != nil {
		s.n = *c.N
	}
	return &sdk.ConfigureResponse{}, nil
}

func (s *countSource) Describe(context.Context, *sdk.DescribeRequest) (*sdk.DescribeResponse, error) {
	return &sdk.DescribeResponse{Indexes: []sdk.IndexSpec{{
		Name:     "movies",
		Mappings: json.RawMessage(`{"properties":{"title":{"type":"text"},"n":{"type":"integer"}}}`),
	}}}, nil
}

func (s *countSource) Stream(ctx context.Context, _ *sdk.StreamRequest, w sdk.Writer) error {
	for i := range s.n {
		if err := ctx.Err(); err != nil {
			return err
		}
		doc := fmt.Sprintf(`{"title":"movie %d","n":%d}`, i, i)
		if err := w.Write(sdk.Doc{ID: fmt.Sprint(i), Source: []byte(doc)}); err != nil {
			return err
		}
	}
	return nil
}
