package sqltable

import (
	"context"
	"errors"
	"strconv"
	"strings"

	sdk "github.com/demhost/demhost/plugin-sdk"
	"github.com/jackc/pgx/v5"
)

// query is the SQL of one stream, built once per Stream call.
type query struct {
	first, next string // first page; later pages (with the keyset bound)
	args        []any  // arguments shared by both; next adds the last id at the end
}

// buildQuery writes the page query. Each row is (id as text, the document
// as JSON text, deleted as text). Postgres renders the JSON, so a row costs
// Go nothing but a copy of its id.
//
//	SELECT t.id::text, row_to_json(t)::text, 'false'
//	FROM tbl t
//	WHERE mod(abs(hashtext(t.id::text)::bigint), $n) = $k   -- partitions > 1
//	  AND t.updated_at >= $since                            -- since set
//	  AND t.id > $last::<id type>                           -- after page 1
//	ORDER BY t.id LIMIT page
func (s *Source) buildQuery(req *sdk.StreamRequest) query {
	id := "t." + quoteIdent(s.idCol.Name)
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
	var where []string
	var q query
	arg := func(v any) string {
		q.args = append(q.args, v)
		return "$" + strconv.Itoa(len(q.args))
	}
	if req.Partitions > 1 {
		where = append(where, "mod(abs(hashtext("+id+"::text)::bigint), "+arg(int64(req.Partitions))+") = "+arg(int64(req.Partition)))
	}
	if !req.Since.IsZero() && s.cfg.UpdatedAtColumn != "" {
		where = append(where, "t."+quoteIdent(s.cfg.UpdatedAtColumn)+" >= "+arg(req.Since)+"::timestamptz")
	}
	head := "SELECT " + id + "::text, " + doc + ", " + deleted + " FROM " + from
	tail := " ORDER BY " + id + " LIMIT " + strconv.Itoa(s.cfg.PageSize)
	whereSQL := func(extra ...string) string {
		all := append(append([]string{}, where...), extra...)
		if len(all) == 0 {
			return ""
		}
		return " WHERE " + strings.Join(all, " AND ")
	}
	q.first = head + whereSQL() + tail
	last := "$" + strconv.Itoa(len(q.args)+1)
	q.next = head + whereSQL(id+" > "+last+"::text::"+s.idCol.Format) + tail
	return q
}

// Stream reads partition k of n in keyset pages ordered by the id column,
// never with OFFSET and never holding more than one page. Rows whose id is
// NULL belong to no partition; partition 0 counts and reports them.
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
	q := s.buildQuery(req)
	if req.Partition == 0 {
		if err := s.reportNullIDs(ctx, conn, req); err != nil {
			return err
		}
	}
	var last string
	for page := 0; ; page++ {
		sql, args := q.first, q.args
		if page > 0 {
			sql, args = q.next, append(q.args[:len(q.args):len(q.args)], last)
		}
		got, lastID, err := s.page(ctx, conn, sql, args, w)
		if err != nil {
			return err
		}
		if got < s.cfg.PageSize {
			return nil
		}
		last = lastID
	}
}

// page runs one page query and writes its rows; it returns the row count
// and the last id.
func (s *Source) page(ctx context.Context, conn *pgx.Conn, sql string, args []any, w sdk.Writer) (int, string, error) {
	rows, err := conn.Query(ctx, sql, args...)
	if err != nil {
		return 0, "", s.errorf("read page: %w", err)
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
		return n, id, s.errorf("read page: %w", err)
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
