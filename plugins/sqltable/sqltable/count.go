package sqltable

import (
	"context"
	"errors"

	sdk "github.com/demhost/demhost/plugin-sdk"
	"github.com/jackc/pgx/v5"
)

var _ sdk.Counter = (*Source)(nil)

// countSQL counts what a full Stream sends as documents: every row of the
// table or view with an id (rows without one are skipped), less the
// soft-deleted rows (sent as deletes).
func (s *Source) countSQL() string {
	sql := "SELECT count(*) FROM " + s.rel.Quoted + " t WHERE " + s.idExpr() + " IS NOT NULL"
	if s.cfg.DeletedColumn != "" {
		d := "t." + quoteIdent(s.cfg.DeletedColumn)
		if s.delBool {
			sql += " AND NOT coalesce(" + d + ", false)"
		} else {
			sql += " AND " + d + " IS NULL"
		}
	}
	return sql
}

// Count answers how many documents a full fill of the index gets now, in
// one count(*) of the table (which reads the whole table or an index of
// it: deploy's gate asks once per deploy).
func (s *Source) Count(ctx context.Context, req *sdk.CountRequest) (*sdk.CountResponse, error) {
	if s.rel == nil {
		return nil, errors.New("sqltable: count: not configured")
	}
	if req.Index != s.cfg.Index {
		return nil, s.errorf("count: %w %q", sdk.ErrUnknownIndex, req.Index)
	}
	conn, err := pgx.ConnectConfig(ctx, s.connCfg.Copy())
	if err != nil {
		return nil, s.errorf("connect: %s", redact(err.Error(), s.connCfg.Password))
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var n int64
	if err := conn.QueryRow(ctx, s.countSQL()).Scan(&n); err != nil {
		return nil, s.errorf("count the rows of %s: %w", s.cfg.Table, err)
	}
	return &sdk.CountResponse{Count: n}, nil
}
