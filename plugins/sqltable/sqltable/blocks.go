package sqltable

import (
	"context"
	"fmt"
	"math"
	"strconv"

	sdk "github.com/demhost/demhost/plugin-sdk"
	"github.com/jackc/pgx/v5"
)

// With paging: blocks, a partition is a set of chunks of the table's
// physical blocks, not a range of ids: chunk c holds the blocks
// [c*chunkBlocks, (c+1)*chunkBlocks), and partition k of n reads the
// chunks c with c mod n = k, one statement each:
//
//	… WHERE t.ctid >= '(start,0)' AND t.ctid < '(end,0)' AND t.id IS NOT NULL
//
// which Postgres 14 and later answers with a TID Range Scan: those blocks
// and no others, in storage order. Reading costs the same per row however
// large the table, needs no index, no statistics and no sort, and reads
// the table in the order it is stored, which matters once the table is
// larger than memory (keyset pages in id order fetch heap pages at
// random). The chunks depend only on k and n, so streams of one update in
// different processes (or on different hosts) agree without sharing
// anything.
//
// Each chunk is its own statement and snapshot. A row that is not written
// during the read is sent exactly once. A row updated during the read
// moves to another block, so it can be sent twice (old and new version,
// by different partitions, in either order) or not at all; a row inserted
// during the read is sent if its block was not read yet. The watermark is
// taken before the read, so the next --resume sends every such row again
// in its latest version when the table has an updated-at column.

// chunkBlocks is the number of blocks one statement reads: 2 MB of table
// with the default 8 KB block size.
const chunkBlocks = 256

// checkBlockPaging is Configure's check of paging: blocks: the relation
// has physical blocks and the server has TID range scans.
func checkBlockPaging(ctx context.Context, conn *pgx.Conn, rel *relation) error {
	if rel.Kind != 'r' && rel.Kind != 'm' {
		return configErr("paging", "blocks reads a table's physical blocks, and %s is not a table or a materialized view; use auto, keyset or off", rel.Quoted)
	}
	var version int
	if err := conn.QueryRow(ctx, `SELECT current_setting('server_version_num')::int`).Scan(&version); err != nil {
		return configErr("paging", "read the server's version: %v", err)
	}
	if version < 140000 {
		return configErr("paging", "blocks needs Postgres 14 or later (TID range scans), and the server is %d.%d; use auto, keyset or off",
			version/10000, version%10000)
	}
	return nil
}

// streamBlocks reads the chunks of partition k of n that lie within the
// table's size when the stream starts: every row committed before then.
func (s *Source) streamBlocks(ctx context.Context, conn *pgx.Conn, q *query, k, n int, w sdk.Writer) error {
	blocks, err := s.relationBlocks(ctx, conn)
	if err != nil {
		return s.errorf("size the table: %w", err)
	}
	for start := int64(k) * chunkBlocks; start < blocks; start += int64(n) * chunkBlocks {
		sql, args := q.blocksSQL(start, start+chunkBlocks)
		if _, _, err := s.read(ctx, conn, sql, args, w); err != nil {
			return err
		}
	}
	return nil
}

// blocksSQL returns the statement of the rows in blocks [start, end).
func (q *query) blocksSQL(start, end int64) (string, []any) {
	args := append([]any(nil), q.since...)
	arg := func(block int64) string {
		args = append(args, fmt.Sprintf("(%d,0)", block))
		return "$" + strconv.Itoa(len(args)) + "::text::tid"
	}
	sql := q.head + " WHERE "
	if q.cond != "" {
		sql += q.cond + " AND "
	}
	sql += "t.ctid >= " + arg(start)
	if end <= math.MaxUint32 { // past the largest block number, no upper bound
		sql += " AND t.ctid < " + arg(end)
	}
	return sql + " AND " + q.s.idExpr() + " IS NOT NULL", args
}

// relationBlocks returns the relation's size in blocks.
func (s *Source) relationBlocks(ctx context.Context, conn *pgx.Conn) (int64, error) {
	var blocks int64
	err := conn.QueryRow(ctx, `SELECT pg_relation_size($1::oid) / current_setting('block_size')::bigint`, s.rel.OID).Scan(&blocks)
	return blocks, err
}
