package sqltable

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"time"

	sdk "github.com/demhost/demhost/plugin-sdk"
	"github.com/jackc/pgx/v5"
)

// Partitions are ranges of the id column, in its own order (its type's
// comparison and the column's collation): partition k of n reads the ids
// in (splits[k-1], splits[k]], the first one has no lower bound and the
// last one no upper bound. Any sorted split points make the partitions
// disjoint and together complete, so the split points only decide the
// balance; what matters for correctness is that the n streams of one
// update use the same ones. They are therefore computed once per update
// (partition count and since) and shared by the streams of this process
// (see acquirePlan), with the paging decision. Contiguous ranges are what
// sdk.StreamRequest asks for: the host reads several partitions per
// stream in turn, so that its streams move through the ids side by side.
//
// Where the split points come from, cheapest first:
//   - the id column's histogram in pg_stats (what ANALYZE, or autovacuum,
//     left): equal-frequency bounds of a sample of the table;
//   - for a table never analyzed: a block sample (TABLESAMPLE SYSTEM) of
//     about sampleBlocks blocks, its ids sorted;
//   - for a view: every id, sorted once (a view cannot be sampled).
//
// When there are fewer distinct split points than asked for (few rows,
// many partitions), some partitions are empty.

// sampleBlocks is the number of table blocks sampled for split points
// when the table has no statistics.
const sampleBlocks = 1000

// planReuse is how long split points outlive the last stream that used
// them. The streams of one update start together, so they always share
// one plan; a later update after a pause gets fresh split points.
const planReuse = time.Minute

// span is one partition's id range; a nil bound is unbounded.
type span struct {
	lower, upper *string
}

// planKey tells the updates apart whose streams share a plan.
type planKey struct {
	n     int
	since string
}

// splitPlan is the split points for one partition count, and whether its
// partitions are read in keyset pages, shared by the streams that use it.
type splitPlan struct {
	n        int
	splits   []string // at most n-1
	from     string   // where the split points came from, for the log
	active   int      // streams using it now
	lastUsed time.Time

	pagingMu sync.Mutex
	decided  bool // paged is known
	paged    bool
}

// span returns partition k's range; false when it is empty (past the
// last split point).
func (p *splitPlan) span(k int) (span, bool) {
	m := len(p.splits)
	if k > m {
		return span{}, false
	}
	var sp span
	if k > 0 {
		sp.lower = &p.splits[k-1]
	}
	if k < m {
		sp.upper = &p.splits[k]
	}
	return sp, true
}

// unpagedSpan returns partition k's range when each partition is read in
// one statement, which scans the relation: with the host's
// sdk.HostSubPartitions partitions per stream (n a multiple of it),
// partition k < n/HostSubPartitions holds the whole contiguous run of
// ranges its stream would read, and the others are empty, so each stream
// scans once rather than HostSubPartitions times. Any n still gets
// disjoint partitions that together hold every row.
func (p *splitPlan) unpagedSpan(k int) (span, bool) {
	if p.n <= 1 || p.n%sdk.HostSubPartitions != 0 {
		return p.span(k)
	}
	streams := p.n / sdk.HostSubPartitions
	if k >= streams {
		return span{}, false
	}
	m := len(p.splits)
	lo, hi := k*sdk.HostSubPartitions, (k+1)*sdk.HostSubPartitions // ranges [lo, hi)
	if lo > m {
		return span{}, false
	}
	var sp span
	if lo > 0 {
		sp.lower = &p.splits[lo-1]
	}
	if hi-1 < m {
		sp.upper = &p.splits[hi-1]
	}
	return sp, true
}

// decidePaging returns whether the plan's partitions are read in keyset
// pages, deciding once for all its streams with decide (streams that
// decided differently would deal the ranges differently). A failed
// decision is not kept: the next stream asks again.
func (p *splitPlan) decidePaging(decide func() (bool, error)) (bool, error) {
	p.pagingMu.Lock()
	defer p.pagingMu.Unlock()
	if !p.decided {
		paged, err := decide()
		if err != nil {
			return false, err
		}
		p.paged, p.decided = paged, true
	}
	return p.paged, nil
}

// acquirePlan returns the plan of n partitions for the update reading
// since, and a release func to call when the stream ends. It computes the
// split points when no stream of this process holds them and they were
// last used more than planReuse ago; otherwise it reuses them, so that
// concurrent streams agree.
func (s *Source) acquirePlan(ctx context.Context, conn *pgx.Conn, n int, since time.Time) (*splitPlan, func(), error) {
	if n <= 1 {
		return &splitPlan{n: 1}, func() {}, nil
	}
	s.plansMu.Lock()
	defer s.plansMu.Unlock()
	if s.plans == nil {
		s.plans = map[planKey]*splitPlan{}
	}
	for k, old := range s.plans {
		if old.active == 0 && time.Since(old.lastUsed) > planReuse {
			delete(s.plans, k)
		}
	}
	key := planKey{n: n, since: since.UTC().Format(time.RFC3339Nano)}
	p := s.plans[key]
	if p == nil {
		splits, from, err := s.splitPoints(ctx, conn, n)
		if err != nil {
			return nil, nil, err
		}
		p = &splitPlan{n: n, splits: splits, from: from}
		s.plans[key] = p
		s.log.Debug("sqltable: partition split points", "index", s.cfg.Index, "partitions", n,
			"splits", len(splits), "from", from)
	}
	p.active++
	p.lastUsed = time.Now()
	release := func() {
		s.plansMu.Lock()
		defer s.plansMu.Unlock()
		p.active--
		p.lastUsed = time.Now()
	}
	return p, release, nil
}

// splitPoints computes at most n-1 sorted, distinct split points of the
// id column.
func (s *Source) splitPoints(ctx context.Context, conn *pgx.Conn, n int) ([]string, string, error) {
	hist, err := s.histogram(ctx, conn)
	if err != nil {
		return nil, "", err
	}
	if len(hist) >= 2 {
		return pickSplits(hist, n), "pg_stats histogram", nil
	}
	id := "t." + quoteIdent(s.idCol.Name)
	from := s.rel.Quoted + " t"
	what := "every row"
	if s.rel.Kind == 'r' || s.rel.Kind == 'm' {
		blocks, err := s.relationBlocks(ctx, conn)
		if err != nil {
			return nil, "", s.errorf("size the table for partition split points: %w", err)
		}
		if blocks > sampleBlocks {
			pct := 100 * float64(sampleBlocks) / float64(blocks)
			from += " TABLESAMPLE SYSTEM (" + strconv.FormatFloat(pct, 'f', 6, 64) + ")"
			what = fmt.Sprintf("a sample of %d of %d blocks", sampleBlocks, blocks)
		}
	}
	// Row r of c is a split point where r*n/c steps to the next integer:
	// n-1 rows at equal distances, the last row excluded.
	sql := `SELECT b::text FROM (
  SELECT ` + id + ` AS b, row_number() OVER (ORDER BY ` + id + `) AS r, count(*) OVER () AS c
  FROM ` + from + ` WHERE ` + id + ` IS NOT NULL) s
WHERE r < c AND (r * $1) / c > ((r - 1) * $1) / c ORDER BY r`
	rows, err := conn.Query(ctx, sql, int64(n))
	if err != nil {
		return nil, "", s.errorf("partition split points: %w", err)
	}
	vals, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, "", s.errorf("partition split points: %w", err)
	}
	return dedupe(vals), what, nil
}

// histogram returns the id column's histogram bounds from pg_stats, in
// the column's order (ANALYZE sorts them with the column's collation), or
// nil when there are none.
func (s *Source) histogram(ctx context.Context, conn *pgx.Conn) ([]string, error) {
	rows, err := conn.Query(ctx, `SELECT u.b FROM (
  SELECT st.histogram_bounds FROM pg_stats st
  WHERE st.schemaname = $1 AND st.tablename = $2 AND st.attname = $3 AND st.histogram_bounds IS NOT NULL
  ORDER BY st.inherited DESC LIMIT 1) h,
  unnest(h.histogram_bounds::text::text[]) WITH ORDINALITY AS u(b, i)
ORDER BY u.i`, s.rel.Schema, s.rel.Name, s.idCol.Name)
	if err != nil {
		return nil, s.errorf("read the id column's statistics: %w", err)
	}
	vals, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, s.errorf("read the id column's statistics: %w", err)
	}
	return vals, nil
}

// pickSplits picks n-1 split points at equal distances from the sorted
// histogram bounds hist (len >= 2), without repeats.
func pickSplits(hist []string, n int) []string {
	out := make([]string, 0, n-1)
	for i := 1; i < n; i++ {
		j := (i*(len(hist)-1) + n/2) / n
		out = append(out, hist[j])
	}
	return dedupe(out)
}

// dedupe drops adjacent repeats of a sorted list.
func dedupe(xs []string) []string {
	var out []string
	for _, x := range xs {
		if len(out) == 0 || x != out[len(out)-1] {
			out = append(out, x)
		}
	}
	return out
}
