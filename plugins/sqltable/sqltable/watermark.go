package sqltable

import (
	"context"
	"errors"
	"fmt"
	"time"

	sdk "github.com/demhost/demhost/plugin-sdk"
	"github.com/jackc/pgx/v5"
)

var _ sdk.Watermarker = (*Source)(nil)

// watermarkSQL is taken inside Postgres, in its clock: the older of now()
// and the start of the oldest transaction still open in another backend,
// minus the configured overlap. A row written by a transaction open now
// carries an updated_at (from now() in that transaction, or later) no
// older than that transaction's start, so a later read since the
// watermark sees it even when it commits after the streams have passed
// it. It also counts the client backends whose transactions this role
// may not see (pg_stat_activity hides other roles' sessions from a role
// without pg_read_all_stats). Only client sessions of this database
// count: no other can write the table, and a long transaction elsewhere
// (a report on another database, autovacuum) would hold the watermark
// back for nothing. A long transaction on this database does hold it back,
// read-only or not: a transaction's now() is its start, so one that writes
// only later still stamps its rows with that start.
const watermarkSQL = `
SELECT %s,
       count(*) FILTER (WHERE a.state IS NULL)
FROM pg_stat_activity a
WHERE a.pid <> pg_backend_pid() AND a.datname = current_database() AND a.backend_type = 'client backend'`

// watermarkExpr is the watermark itself; a date column truncates it to
// the start of its day in the session's time zone, as the date compares.
const watermarkExpr = `least(now(), coalesce(min(a.xact_start) FILTER (WHERE a.xact_start IS NOT NULL), now())) - $1::interval`

// Watermark answers the point from which a later Stream with Since reads
// every change that a stream started now might miss. Without an
// updated_at column the source keeps no watermark and answers the zero
// time. A date column gets the start of the watermark's day.
func (s *Source) Watermark(ctx context.Context, req *sdk.WatermarkRequest) (*sdk.WatermarkResponse, error) {
	if s.rel == nil {
		return nil, errors.New("sqltable: watermark: not configured")
	}
	if req.Index != s.cfg.Index {
		return nil, s.errorf("watermark: %w %q", sdk.ErrUnknownIndex, req.Index)
	}
	if s.cfg.UpdatedAtColumn == "" {
		return &sdk.WatermarkResponse{}, nil
	}
	conn, err := pgx.ConnectConfig(ctx, s.connCfg.Copy())
	if err != nil {
		return nil, s.errorf("connect: %s", redact(err.Error(), s.connCfg.Password))
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var (
		at     time.Time
		hidden int64
	)
	expr := watermarkExpr
	if u, ok := s.rel.column(s.cfg.UpdatedAtColumn); ok && u.Base == "date" {
		expr = "date_trunc('day', " + expr + ")"
	}
	if err := conn.QueryRow(ctx, fmt.Sprintf(watermarkSQL, expr), s.cfg.Overlap.Duration).Scan(&at, &hidden); err != nil {
		return nil, s.errorf("read the watermark from pg_stat_activity: %w", err)
	}
	if hidden > 0 {
		s.log.Warn("sqltable: the watermark cannot see the open transactions of other roles' sessions; "+
			"grant pg_read_all_stats to this role, or set overlap to the longest transaction that writes the table",
			"index", s.cfg.Index, "table", s.cfg.Table, "hidden_sessions", hidden)
	}
	return &sdk.WatermarkResponse{Watermark: at}, nil
}
