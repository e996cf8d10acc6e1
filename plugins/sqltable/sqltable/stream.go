package sqltable

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"strings"

	sdk "github.com/demhost/demhost/plugin-sdk"
	"github.com/jackc/pgx/v5"
)

// query builds the SQL of one stream. Each row is (id as text, the
// document as JSON text, deleted as text). Postgres renders the JSON, so a
// row costs Go nothing but a copy of its id.
//
//	SELECT t.id::text, row_to_json(t)::text, 'false'
//	FROM tbl t
//	WHERE t.updated_at >= $1::timestamptz        -- since set
//	  AND t.id > $2::text::<id type>              -- the partition's lower bound, or the last id read
//	  AND t.id <= $3::text::<id type>             -- the partition's upper bound
//	ORDER BY t.id LIMIT page                      -- keyset pages only
//
// A partition with neither bound says t.id IS NOT NULL instead.
type query struct {
	s          *Source
	head, cond string // SELECT … FROM …; the since condition, or ""
	since      []any
}

func (s *Source) newQuery(req *sdk.StreamRequest) *query {
	q := &query{s: s}
	doc := "row_to_json(t)::text"
	from := s.rel.Quoted + " t"
	if len(s.cfg.Columns) > 0 {
		cols := make([]string, len(s.cfg.Columns))
		for i, c := range s.cfg.Columns {
			cols[i] = "t." + quoteIdent(c)
		}
		from += " CROSS JOIN LATERAL (SELECT " + strings.Join(cols, ", ") + ") s"
		doc = "row_to_json(s)::text"
	}
	deleted := "'false'"
	if s.cfg.DeletedColumn != "" {
		d := "t." + quoteIdent(s.cfg.DeletedColumn)
		if s.delBool {
			deleted = "coalesce(" + d + ", false)::text"
		} else {
			deleted = "(" + d + " IS NOT NULL)::text"
		}
	}
	q.head = "SELECT " + s.idExpr() + "::text, " + doc + ", " + deleted + " FROM " + from
	if !req.Since.IsZero() && s.cfg.UpdatedAtColumn != "" {
		q.cond = "t." + quoteIdent(s.cfg.UpdatedAtColumn) + " >= $1::timestamptz"
		q.since = []any{req.Since}
	}
	return q
}

// pageSession is the session setting of a connection that reads keyset
// pages: sorting is disabled, so only an index in id order answers a page.
const pageSession = "SET enable_sort = off"

func (s *Source) idExpr() string { return "t." + quoteIdent(s.idCol.Name) }

// sql returns the statement and its arguments for ids after lower (nil:
// unbounded) up to upper (nil: unbounded); a keyset page when paged.
func (q *query) sql(lower, upper *string, paged bool) (string, []any) {
	args := append([]any(nil), q.since...)
	arg := func(v string) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args)) + "::text::" + q.s.idCol.Format
	}
	id := q.s.idExpr()
	var where []string
	if q.cond != "" {
		where = append(where, q.cond)
	}
	if lower != nil {
		where = append(where, id+" > "+arg(*lower))
	}
	if upper != nil {
		where = append(where, id+" <= "+arg(*upper))
	}
	if lower == nil && upper == nil {
		where = append(where, id+" IS NOT NULL")
	}
	sql := q.head + " WHERE " + strings.Join(where, " AND ")
	if paged {
		sql += " ORDER BY " + id + " LIMIT " + strconv.Itoa(q.s.cfg.PageSize)
	}
	return sql, args
}

// Stream reads partition k of n: the ids in the partition's range (see
// partition.go), or with paging: blocks its chunks of the table's blocks
// (see blocks.go). With keyset paging it reads pages ordered by the id,
// each page `id > last AND id <= upper ORDER BY id LIMIT page_size`,
// which an index on the id column answers without a scan of the table;
// with paging off it reads the whole range in one statement, streamed.
// Either way it holds one page or one row in memory, never OFFSET. Rows
// whose id is NULL belong to no partition; partition 0 counts and
// reports them.
func (s *Source) Stream(ctx context.Context, req *sdk.StreamRequest, w sdk.Writer) error {
	if s.rel == nil {
		return errors.New("sqltable: stream: not configured")
	}
	if req.Index != s.cfg.Index {
		return s.errorf("stream: %w %q", sdk.ErrUnknownIndex, req.Index)
	}
	n := max(req.Partitions, 1)
	if req.Partition < 0 || req.Partition >= n {
		return s.errorf("stream: partition %d out of range 0..%d", req.Partition, n-1)
	}
	conn, err := pgx.ConnectConfig(ctx, s.connCfg.Copy())
	if err != nil {
		return s.errorf("connect: %s", redact(err.Error(), s.connCfg.Password))
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if req.Partition == 0 {
		if err := s.reportNullIDs(ctx, conn, req); err != nil {
			return err
		}
	}
	if s.cfg.Paging == PagingBlocks {
		return s.streamBlocks(ctx, conn, s.newQuery(req), req.Partition, n, w)
	}
	var plan *splitPlan
	if req.Split != nil {
		plan, err = s.recordedPlan(req)
	} else {
		var release func()
		plan, release, err = s.acquirePlan(ctx, conn, n, req.Since)
		if release != nil {
			defer release()
		}
	}
	if err != nil {
		return err
	}
	q := s.newQuery(req)
	paged := s.cfg.Paging != PagingOff
	if paged {
		// A page must come from an index in id order. Given the choice,
		// the planner may sort the rest of the partition instead (for a
		// prepared statement's generic plan, or without statistics), and
		// every page would then read all of it.
		if _, err := conn.Exec(ctx, pageSession); err != nil {
			return s.errorf("set enable_sort: %w", err)
		}
	}
	if s.cfg.Paging == PagingAuto {
		// Decided once per plan, on the first partition, for all its
		// streams.
		paged, err = plan.decidePaging(func() (bool, error) { return s.firstPageUsesIndex(ctx, conn, q, plan) })
		if err != nil {
			return err
		}
		if !paged {
			if _, err := conn.Exec(ctx, "RESET enable_sort"); err != nil {
				return s.errorf("reset enable_sort: %w", err)
			}
		}
	}
	sp, ok := plan.span(req.Partition)
	if !paged && req.Split == nil {
		sp, ok = plan.unpagedSpan(req.Partition)
	}
	if !ok {
		return nil
	}
	return s.readSpan(ctx, conn, q, sp, paged, w)
}

// readSpan reads one id range: in keyset pages when paged, else in one
// statement.
func (s *Source) readSpan(ctx context.Context, conn *pgx.Conn, q *query, sp span, paged bool, w sdk.Writer) error {
	if !paged {
		sql, args := q.sql(sp.lower, sp.upper, false)
		_, _, err := s.read(ctx, conn, sql, args, w)
		return err
	}
	lower := sp.lower
	for {
		sql, args := q.sql(lower, sp.upper, true)
		got, last, err := s.read(ctx, conn, sql, args, w)
		if err != nil {
			return err
		}
		if got < s.cfg.PageSize {
			return nil
		}
		lower = &last
	}
}

// firstPageUsesIndex is auto paging's decision for plan: whether a keyset
// page of its first partition comes from an index in id order (conn must
// run with pageSession).
func (s *Source) firstPageUsesIndex(ctx context.Context, conn *pgx.Conn, q *query, plan *splitPlan) (bool, error) {
	first, _ := plan.span(0)
	sql, args := q.sql(first.lower, first.upper, true)
	return s.pagesUseIndex(ctx, conn, sql, args)
}

// pagesUseIndex asks the planner whether a keyset page comes from an
// index in id order even with sorts disabled. A plan that still sorts
// (no index gives that order) would sort the rest of the partition for
// every page, so auto paging reads such a relation in one statement
// instead.
func (s *Source) pagesUseIndex(ctx context.Context, conn *pgx.Conn, sql string, args []any) (bool, error) {
	var plan []byte
	if err := conn.QueryRow(ctx, "EXPLAIN (FORMAT JSON) "+sql, args...).Scan(&plan); err != nil {
		return false, s.errorf("plan a page: %w", err)
	}
	nodes, err := planNodes(plan)
	if err != nil {
		return false, s.errorf("plan a page: %w", err)
	}
	for _, n := range nodes {
		if strings.Contains(n, "Sort") {
			s.log.Info("sqltable: a keyset page would sort the table, so each partition is read in one statement",
				"index", s.cfg.Index, "table", s.cfg.Table, "id_column", s.cfg.IDColumn)
			return false, nil
		}
	}
	return true, nil
}

// planNodes returns the node types of an EXPLAIN (FORMAT JSON) plan,
// depth first, e.g. ["Limit", "Index Scan"].
func planNodes(explain []byte) ([]string, error) {
	type node struct {
		Type  string `json:"Node Type"`
		Plans []node `json:"Plans"`
	}
	var doc []struct {
		Plan node `json:"Plan"`
	}
	if err := json.Unmarshal(explain, &doc); err != nil {
		return nil, err
	}
	var out []string
	var walk func(n node)
	walk = func(n node) {
		out = append(out, n.Type)
		for _, c := range n.Plans {
			walk(c)
		}
	}
	for _, d := range doc {
		walk(d.Plan)
	}
	return out, nil
}

// read runs one statement and writes its rows; it returns the row count
// and the last id.
func (s *Source) read(ctx context.Context, conn *pgx.Conn, sql string, args []any, w sdk.Writer) (int, string, error) {
	if s.onQuery != nil {
		s.onQuery(sql, args)
	}
	rows, err := conn.Query(ctx, sql, args...)
	if err != nil {
		return 0, "", s.errorf("read: %w", err)
	}
	defer rows.Close()
	var n int
	var id string
	for rows.Next() {
		v := rows.RawValues()
		id = string(v[0])
		d := sdk.Doc{ID: id}
		if string(v[2]) == "true" {
			d.Op = sdk.OpDelete
		} else {
			d.Source = v[1]
		}
		if err := w.Write(d); err != nil {
			return n, id, err
		}
		n++
	}
	if err := rows.Err(); err != nil {
		if ctx.Err() != nil {
			return n, id, ctx.Err()
		}
		return n, id, s.errorf("read: %w", err)
	}
	return n, id, nil
}

// reportNullIDs logs and counts the rows the stream skips for a NULL id.
func (s *Source) reportNullIDs(ctx context.Context, conn *pgx.Conn, req *sdk.StreamRequest) error {
	sql := "SELECT count(*) FROM " + s.rel.Quoted + " t WHERE t." + quoteIdent(s.idCol.Name) + " IS NULL"
	var args []any
	if !req.Since.IsZero() && s.cfg.UpdatedAtColumn != "" {
		sql += " AND t." + quoteIdent(s.cfg.UpdatedAtColumn) + " >= $1::timestamptz"
		args = append(args, req.Since)
	}
	var count int64
	if err := conn.QueryRow(ctx, sql, args...).Scan(&count); err != nil {
		return s.errorf("count rows with a NULL id: %w", err)
	}
	if count > 0 {
		s.skipped.Add(count)
		s.log.Warn("sqltable: skipped rows whose id is NULL",
			"index", s.cfg.Index, "table", s.cfg.Table, "id_column", s.cfg.IDColumn, "rows", count)
	}
	return nil
}
