package engine

import (
	"bytes"
	"context"
	"io"
	"time"
)

// adapter is the Engine of every vendor. It does what the vendors share:
// refusing names before sending, bounding each request by the timeout,
// building bodies, mapping errors to sentinels, decoding answers and
// following tasks. What differs, how each vendor's Go client sends a
// request, is behind its client.
type adapter struct {
	kind    Kind
	timeout time.Duration
	url     string // the first URL, redacted, for Info
	nodes   int    // the configured URLs: how many nodes a request may try (failover.go)
	c       client
	probe   probeCache // what the cluster has, learnt once (capabilities.go)
	// taskPatience is how long polls of a task may fail in a row (task.go).
	taskPatience time.Duration
}

var _ Engine = (*adapter)(nil)

// client sends requests with one vendor's Go client. Each method sends
// exactly one request and returns the raw answer; it decides nothing, and
// reads and closes nothing. Bodies come ready-built. It is as wide as
// Engine because it is the seam between adapter and a vendor: only
// adapter calls it, and a new vendor (or fallback) implements it alone.
type client interface {
	// info is GET /, which Info asks only when _nodes/_local is refused.
	info(ctx context.Context) raw
	createIndex(ctx context.Context, index string, body io.Reader) raw
	deleteIndices(ctx context.Context, indices []string) raw
	exists(ctx context.Context, index string) raw
	// catIndices is _cat/indices?format=json&h=catColumns of the indices
	// matching pattern, or of all when pattern is "".
	catIndices(ctx context.Context, pattern string) raw
	// indexAliases is GET <pattern>/_alias: the aliases of the indices
	// matching pattern, or of all when pattern is "".
	indexAliases(ctx context.Context, pattern string) raw
	// aliasIndices is GET _alias/<alias>: the indices of alias.
	aliasIndices(ctx context.Context, alias string) raw
	updateAliases(ctx context.Context, body io.Reader) raw
	deleteAlias(ctx context.Context, index, alias string) raw
	// bulk posts body with filter_path=bulkFilterPath.
	bulk(ctx context.Context, index string, body io.Reader) raw
	refresh(ctx context.Context, indices []string) raw
	count(ctx context.Context, index string) raw
	// deleteByQuery starts a task: conflicts=proceed, refresh=true and
	// wait_for_completion=false.
	deleteByQuery(ctx context.Context, index string, body io.Reader) raw
	// getSettings asks for flat_settings.
	getSettings(ctx context.Context, index string) raw
	putSettings(ctx context.Context, index string, body io.Reader) raw
	// reindex starts a task: wait_for_completion=false.
	reindex(ctx context.Context, body io.Reader) raw
	getTask(ctx context.Context, id string) raw
	cancelTask(ctx context.Context, id string) raw
	schemaClient
	capClient
	healthClient
	queryClient
}

// raw is one round trip as a vendor client returns it: a status and a
// body, or an error. A body, if any, is read and closed by call.
type raw struct {
	status int
	body   io.ReadCloser
	err    error
}

// send is one request of a client, made with the context it is given.
type send func(ctx context.Context) raw

// call sends one request, bounded by the per-request timeout, and turns
// its answer into a 2xx reply (read whole) or an *Error about op on index.
func (a *adapter) call(ctx context.Context, op, index string, req send) (*reply, error) {
	ctx, cancel := context.WithTimeout(ctx, a.timeout)
	defer cancel()
	w := a.roundTrip(ctx, req)
	if w.err == nil && w.body == nil && w.status == 0 {
		w.err = errNoAnswer
	}
	return readReply(ctx, op, index, w.status, w.body, w.err)
}

// done is call for requests whose 2xx answer says nothing more.
func (a *adapter) done(ctx context.Context, op, index string, req send) error {
	r, err := a.call(ctx, op, index, req)
	r.release()
	return err
}

func (a *adapter) CreateIndex(ctx context.Context, index string, body []byte) error {
	return a.done(ctx, "create index", index, func(ctx context.Context) raw {
		return a.c.createIndex(ctx, index, bodyReader(body))
	})
}

func (a *adapter) DeleteIndices(ctx context.Context, indices ...string) error {
	if err := checkExplicit("delete index", indices...); err != nil {
		return err
	}
	return a.done(ctx, "delete index", joinNames(indices), func(ctx context.Context) raw {
		return a.c.deleteIndices(ctx, indices)
	})
}

func (a *adapter) Exists(ctx context.Context, index string) (bool, error) {
	return existsFrom(a.call(ctx, "check index", index, func(ctx context.Context) raw {
		return a.c.exists(ctx, index)
	}))
}

func (a *adapter) ListIndices(ctx context.Context, prefix string) ([]IndexStat, error) {
	pattern, err := listPattern(prefix)
	if err != nil {
		return nil, err
	}
	r, err := a.call(ctx, "list indices", pattern, func(ctx context.Context) raw {
		return a.c.catIndices(ctx, pattern)
	})
	if err != nil {
		return nil, err
	}
	var rows []catIndex
	if err := decode(r, &rows); err != nil {
		return nil, err
	}
	r, err = a.call(ctx, "list aliases", pattern, func(ctx context.Context) raw {
		return a.c.indexAliases(ctx, pattern)
	})
	if err != nil {
		return nil, err
	}
	var aliases aliasMap
	if err := decode(r, &aliases); err != nil {
		return nil, err
	}
	return mergeIndexStats(prefix, rows, aliases), nil
}

func (a *adapter) GetAlias(ctx context.Context, alias string) ([]string, error) {
	return aliasFrom(a.call(ctx, "get alias", alias, func(ctx context.Context) raw {
		return a.c.aliasIndices(ctx, alias)
	}))
}

func (a *adapter) SwapAlias(ctx context.Context, alias, index string, remove []string) error {
	if err := checkExplicit("swap alias", append([]string{alias, index}, remove...)...); err != nil {
		return err
	}
	body := aliasActions(alias, index, remove)
	return a.done(ctx, "swap alias", alias, func(ctx context.Context) raw {
		return a.c.updateAliases(ctx, bytes.NewReader(body))
	})
}

func (a *adapter) DeleteAlias(ctx context.Context, index, alias string) error {
	if err := checkExplicit("delete alias", index, alias); err != nil {
		return err
	}
	return a.done(ctx, "delete alias", alias, func(ctx context.Context) raw {
		return a.c.deleteAlias(ctx, index, alias)
	})
}

func (a *adapter) Bulk(ctx context.Context, index string, body []byte) (BulkResult, error) {
	if len(body) == 0 {
		return BulkResult{}, nil
	}
	r, err := a.call(ctx, "bulk", index, func(ctx context.Context) raw {
		return a.c.bulk(ctx, index, unsized{bytes.NewReader(body)})
	})
	if err != nil {
		return BulkResult{}, err
	}
	res, err := parseBulk(index, r)
	if len(res.Failures) > 0 {
		failureIDs(body, res.Failures)
	}
	return res, err
}

func (a *adapter) Refresh(ctx context.Context, indices ...string) error {
	return a.done(ctx, "refresh", joinNames(indices), func(ctx context.Context) raw {
		return a.c.refresh(ctx, indices)
	})
}

func (a *adapter) Count(ctx context.Context, index string) (int64, error) {
	return countFrom(a.call(ctx, "count", index, func(ctx context.Context) raw {
		return a.c.count(ctx, index)
	}))
}

// DeleteByQuery and Reindex start a task with one request, then follow it
// with ctx alone: the timeout bounds each request, not the task.
func (a *adapter) DeleteByQuery(ctx context.Context, index string, query []byte) (int64, error) {
	if err := checkExplicit("delete by query", index); err != nil {
		return 0, err
	}
	if caps, err := a.Capabilities(ctx); err != nil {
		return 0, err
	} else if !caps.DeleteByQuery {
		return a.scrollDelete(ctx, index, query)
	}
	return a.followTask(ctx, "delete by query", index, func(ctx context.Context) raw {
		return a.c.deleteByQuery(ctx, index, queryBody(query))
	})
}

func (a *adapter) GetSettings(ctx context.Context, index string) (map[string]string, error) {
	return settingsFrom(a.call(ctx, "get settings", index, func(ctx context.Context) raw {
		return a.c.getSettings(ctx, index)
	}))
}

func (a *adapter) PutSettings(ctx context.Context, index string, body []byte) error {
	return a.done(ctx, "put settings", index, func(ctx context.Context) raw {
		return a.c.putSettings(ctx, index, bodyReader(body))
	})
}

func (a *adapter) Reindex(ctx context.Context, src, dst string) (int64, error) {
	if err := checkExplicit("reindex", src, dst); err != nil {
		return 0, err
	}
	if caps, err := a.Capabilities(ctx); err != nil {
		return 0, err
	} else if !caps.Reindex {
		return a.scrollCopy(ctx, src, dst)
	}
	return a.followTask(ctx, "reindex", src+" into "+dst, func(ctx context.Context) raw {
		return a.c.reindex(ctx, reindexBody(src, dst))
	})
}
