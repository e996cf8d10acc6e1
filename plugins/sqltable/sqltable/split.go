package sqltable

import (
	"context"
	"encoding/json"
	"errors"

	sdk "github.com/demhost/demhost/plugin-sdk"
	"github.com/jackc/pgx/v5"
)

var _ sdk.Splitter = (*Source)(nil)

// recordedSplit is what Split answers and a stream given it reads: the
// split points of one partition count, decided once by the host's call,
// so that partitions streamed by different processes (a distributed
// update's workers, perhaps hours apart, after an ANALYZE moved the
// histogram) agree.
type recordedSplit struct {
	Partitions int      `json:"partitions"`
	Splits     []string `json:"splits"`
	From       string   `json:"from"`
}

// Split computes the split points of req.Partitions partitions now, for
// the host to record and hand back to each stream of the read. With
// `paging: blocks` the partitions depend only on (k, n), so there is
// nothing to record.
func (s *Source) Split(ctx context.Context, req *sdk.SplitRequest) (*sdk.SplitResponse, error) {
	if s.rel == nil {
		return nil, errors.New("sqltable: split: not configured")
	}
	if req.Index != s.cfg.Index {
		return nil, s.errorf("split: %w %q", sdk.ErrUnknownIndex, req.Index)
	}
	if req.Partitions <= 1 || s.cfg.Paging == PagingBlocks {
		return &sdk.SplitResponse{}, nil
	}
	conn, err := pgx.ConnectConfig(ctx, s.connCfg.Copy())
	if err != nil {
		return nil, s.errorf("connect: %s", redact(err.Error(), s.connCfg.Password))
	}
	defer conn.Close(context.WithoutCancel(ctx))
	splits, from, err := s.splitPoints(ctx, conn, req.Partitions)
	if err != nil {
		return nil, err
	}
	if s.scansPerPartition(ctx, conn, req, splits) {
		s.log.Warn("sqltable: each partition of this read scans the whole relation (no index gives the id order, or paging: off), "+
			"so its partitions cost that many scans; paging: blocks reads a table once however many partitions",
			"index", s.cfg.Index, "table", s.cfg.Table, "partitions", req.Partitions)
	}
	b, err := json.Marshal(recordedSplit{Partitions: req.Partitions, Splits: splits, From: from})
	if err != nil {
		return nil, s.errorf("split: %w", err)
	}
	s.log.Debug("sqltable: partition split points for independent streams", "index", s.cfg.Index,
		"partitions", req.Partitions, "splits", len(splits), "from", from)
	return &sdk.SplitResponse{Split: b}, nil
}

// recordedPlan is the plan of a stream given a recorded split: its split
// points, and a paging decision of its own (the ranges do not depend on
// it: each partition of such a read is one range, never a stream's run).
func (s *Source) recordedPlan(req *sdk.StreamRequest) (*splitPlan, error) {
	var rs recordedSplit
	if err := json.Unmarshal(req.Split, &rs); err != nil {
		return nil, s.errorf("stream: the host's recorded split is not sqltable's: %w", err)
	}
	if rs.Partitions != req.Partitions || len(rs.Splits) >= max(rs.Partitions, 1) {
		return nil, s.errorf("stream: the host's recorded split is of %d partitions (%d split points); this stream is partition %d of %d",
			rs.Partitions, len(rs.Splits), req.Partition, req.Partitions)
	}
	return &splitPlan{n: rs.Partitions, splits: rs.Splits, from: "the recorded split (" + rs.From + ")"}, nil
}

// scansPerPartition tells whether each partition of a read will be one
// statement that scans the relation (paging off, or auto without an index
// in id order), as Stream would decide. An error in deciding is not one:
// the streams decide again.
func (s *Source) scansPerPartition(ctx context.Context, conn *pgx.Conn, req *sdk.SplitRequest, splits []string) bool {
	switch s.cfg.Paging {
	case PagingOff:
		return true
	case PagingAuto:
		if _, err := conn.Exec(ctx, pageSession); err != nil {
			return false
		}
		q := s.newQuery(&sdk.StreamRequest{Index: req.Index, Since: req.Since})
		paged, err := s.firstPageUsesIndex(ctx, conn, q, &splitPlan{n: req.Partitions, splits: splits})
		return err == nil && !paged
	}
	return false
}
