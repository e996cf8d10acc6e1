package engine

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"
)

// This file does the work of _delete_by_query and _reindex for a cluster
// that lacks them (see Capabilities): it scrolls the source a page at a
// time (a scroll is a snapshot, so deleting behind it is safe) and sends
// each page as one bulk request of deletes or index operations, keeping
// each document's id and routing.

const (
	// scrollPage is the documents of one scroll page, and so of one bulk
	// request of a fallback.
	scrollPage = 1000
	// scrollKeepAlive keeps a scroll open between two pages.
	scrollKeepAlive = 5 * time.Minute
	// itemRetries bounds the resends of items (or whole requests) that
	// came back 429, with a pause that doubles from itemPause.
	itemRetries = 6
	itemPause   = 50 * time.Millisecond
)

// scrollHit is one document of a scroll page.
type scrollHit struct {
	ID      string          `json:"_id"`
	Routing string          `json:"_routing,omitempty"`
	Source  json.RawMessage `json:"_source,omitempty"`
}

type scrollAnswer struct {
	ScrollID string `json:"_scroll_id"`
	Hits     struct {
		Hits []scrollHit `json:"hits"`
	} `json:"hits"`
}

// scrollDelete is DeleteByQuery by scroll and bulk deletes. Like the
// server's, it refreshes the index, so the deletes are visible at once.
func (a *adapter) scrollDelete(ctx context.Context, index string, query []byte) (int64, error) {
	const op = "delete by query"
	var deleted int64
	err := a.scan(ctx, op, index, query, false, func(hits []scrollHit) error {
		items := make([][]byte, len(hits))
		for i, h := range hits {
			items[i] = actionLine("delete", h)
		}
		n, err := a.bulkItems(ctx, op, index, index, items)
		deleted += n
		return err
	})
	if err != nil {
		return deleted, err
	}
	return deleted, a.Refresh(ctx, index)
}

// scrollCopy is Reindex by scroll and bulk index requests into dst. Like
// the server's, it stops at the first page with a failed document and
// returns what was copied until then, which is what dst holds.
func (a *adapter) scrollCopy(ctx context.Context, src, dst string) (int64, error) {
	const op = "reindex"
	var copied int64
	err := a.scan(ctx, op, src, nil, true, func(hits []scrollHit) error {
		items := make([][]byte, len(hits))
		for i, h := range hits {
			line := actionLine("index", h)
			line = append(line, h.Source...)
			items[i] = append(line, '\n')
		}
		n, err := a.bulkItems(ctx, op, src+" into "+dst, dst, items)
		copied += n
		return err
	})
	return copied, err
}

// scan reads every document of index that query matches (all when it is
// empty), one scroll page at a time, and hands each page to page. The
// scroll is cleared at the end, even when ctx has ended.
func (a *adapter) scan(ctx context.Context, op, index string, query []byte, withSource bool,
	page func([]scrollHit) error) error {
	body := scanBody(query, withSource)
	r, err := a.call(ctx, op, index, func(ctx context.Context) raw {
		return a.c.search(ctx, index, bytes.NewReader(body), scrollKeepAlive)
	})
	if err != nil {
		return err
	}
	var ans scrollAnswer
	if err := decode(r, &ans); err != nil {
		return err
	}
	id := ans.ScrollID
	defer func() {
		if id != "" {
			_ = a.done(context.WithoutCancel(ctx), op, index, func(ctx context.Context) raw { return a.c.clearScroll(ctx, id) })
		}
	}()
	for len(ans.Hits.Hits) > 0 {
		if err := page(ans.Hits.Hits); err != nil {
			return err
		}
		r, err := a.call(ctx, op, index, func(ctx context.Context) raw { return a.c.scroll(ctx, id, scrollKeepAlive) })
		if err != nil {
			return err
		}
		ans = scrollAnswer{}
		if err := decode(r, &ans); err != nil {
			return err
		}
		if ans.ScrollID != "" {
			id = ans.ScrollID
		}
	}
	return nil
}

// scanBody is a scroll search in index order, without scoring.
func scanBody(query []byte, withSource bool) []byte {
	if len(bytes.TrimSpace(query)) == 0 {
		query = []byte(`{"match_all":{}}`)
	}
	return fmt.Appendf(nil, `{"size":%d,"sort":["_doc"],"_source":%t,"query":%s}`, scrollPage, withSource, query)
}

// actionLine is the bulk action line of op for a hit, with its routing.
func actionLine(op string, h scrollHit) []byte {
	meta := map[string]string{"_id": h.ID}
	if h.Routing != "" {
		meta["routing"] = h.Routing
	}
	b, _ := json.Marshal(map[string]any{op: meta})
	return append(b, '\n')
}

// bulkItems posts items (each an action line plus its source line, if
// any) into index as one bulk request, and resends what came back 429:
// the items alone, or the whole request when it was refused whole. It
// returns how many items succeeded; the first item that failed for good
// is an *Error about op on target, counting the failures of its request.
func (a *adapter) bulkItems(ctx context.Context, op, target, index string, items [][]byte) (int64, error) {
	var done int64
	pause := itemPause
	for attempt := 0; ; attempt++ {
		res, err := a.Bulk(ctx, index, bytes.Join(items, nil))
		last := attempt == itemRetries
		if err != nil {
			if !errors.Is(err, ErrTooManyRequests) || last {
				return done, err
			}
		} else {
			var retry [][]byte
			var failed []BulkItemFailure
			for _, f := range res.Failures {
				if f.Status == http.StatusTooManyRequests && !last {
					retry = append(retry, items[f.Position])
				} else {
					failed = append(failed, f)
				}
			}
			done += int64(len(items) - len(res.Failures))
			if len(failed) > 0 {
				f := failed[0]
				return done, &Error{Op: op, Index: target, Status: f.Status, Type: f.Type,
					Reason: fmt.Sprintf("%d failures, first: %s", len(failed), f.Reason), Err: sentinelFor(f.Status, f.Type)}
			}
			if len(retry) == 0 {
				return done, nil
			}
			items = retry
		}
		select {
		case <-ctx.Done():
			return done, transportError(ctx, op, target, ctx.Err())
		case <-time.After(pause):
		}
		pause *= 2
	}
}
