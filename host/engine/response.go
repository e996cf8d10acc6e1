package engine

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// This file is the half of each adapter that does not depend on the vendor
// client: reading a response, mapping an error body to a sentinel, and
// decoding the few answers demhost needs. Both adapters send with their
// client and hand the raw status and body here.

// maxPooledBuffer bounds the buffers kept for reuse, so one huge response
// does not pin its memory in the pool forever.
const maxPooledBuffer = 4 << 20

var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// reply is a response body read whole into a pooled buffer. Call release
// when done with body.
type reply struct {
	op     string
	index  string
	status int
	body   []byte
	buf    *bytes.Buffer
}

func (r *reply) release() {
	if r == nil || r.buf == nil {
		return
	}
	if r.buf.Cap() <= maxPooledBuffer {
		r.buf.Reset()
		bufPool.Put(r.buf)
	}
	r.buf, r.body = nil, nil
}

// readReply turns the outcome of one round trip into a 2xx reply or an
// *Error. It always closes body. A transport error becomes ErrUnavailable,
// and also wraps ctx.Err() when the context ended.
func readReply(ctx context.Context, op, index string, status int, body io.ReadCloser, err error) (*reply, error) {
	if err != nil {
		if body != nil {
			body.Close()
		}
		return nil, transportError(ctx, op, index, err)
	}
	buf := bufPool.Get().(*bytes.Buffer)
	if body != nil {
		_, rerr := buf.ReadFrom(body)
		body.Close()
		if rerr != nil {
			buf.Reset()
			bufPool.Put(buf)
			return nil, transportError(ctx, op, index, fmt.Errorf("read response: %w", rerr))
		}
	}
	r := &reply{op: op, index: index, status: status, body: buf.Bytes(), buf: buf}
	if status < 200 || status > 299 {
		e := errorFromBody(op, index, status, r.body)
		r.release()
		return nil, e
	}
	return r, nil
}

func transportError(ctx context.Context, op, index string, err error) error {
	e := &Error{Op: op, Index: index, Reason: err.Error(), Err: ErrUnavailable}
	if cerr := ctx.Err(); cerr != nil {
		return fmt.Errorf("%w: %w", e, cerr)
	}
	return e
}

// errorBody is the engines' error envelope. "error" is an object for
// exceptions and a bare string for a few answers such as a missing alias.
type errorBody struct {
	Error json.RawMessage `json:"error"`
}

type engineError struct {
	Type      string        `json:"type"`
	Reason    string        `json:"reason"`
	RootCause []engineError `json:"root_cause"`
	CausedBy  *engineError  `json:"caused_by"`
}

// text is the reason plus the innermost cause when that adds something,
// e.g. "failed to parse field [n] ...: For input string: "abc"".
func (e *engineError) text() string {
	reason := e.Reason
	c := e.CausedBy
	for c != nil && c.CausedBy != nil {
		c = c.CausedBy
	}
	if c != nil && c.Reason != "" && !strings.Contains(reason, c.Reason) {
		if reason == "" {
			return c.Reason
		}
		reason += ": " + c.Reason
	}
	return reason
}

// errorFromBody maps a non-2xx answer to an *Error with its sentinel.
func errorFromBody(op, index string, status int, body []byte) *Error {
	e := &Error{Op: op, Index: index, Status: status}
	var eb errorBody
	if len(body) > 0 && json.Unmarshal(body, &eb) == nil && len(eb.Error) > 0 {
		var ee engineError
		if eb.Error[0] == '"' {
			_ = json.Unmarshal(eb.Error, &e.Reason)
		} else if json.Unmarshal(eb.Error, &ee) == nil {
			e.Type, e.Reason = ee.Type, ee.text()
			if e.Type == "" && len(ee.RootCause) > 0 {
				e.Type, e.Reason = ee.RootCause[0].Type, ee.RootCause[0].text()
			}
		}
	} else if len(body) > 0 && status >= 400 {
		e.Reason = snippet(body)
	}
	e.Err = sentinelFor(status, e.Type)
	return e
}

// sentinelFor picks the sentinel for an HTTP status and engine error type.
func sentinelFor(status int, typ string) error {
	switch typ {
	case "index_not_found_exception":
		return ErrNotFound
	case "resource_already_exists_exception":
		return ErrAlreadyExists
	case "cluster_block_exception":
		// A read-only index answers 403, but no credential helps. Other
		// blocks answer 429 or 503 and pass, as their status says.
		if status == http.StatusForbidden {
			return ErrRejected
		}
	case "es_rejected_execution_exception", "rejected_execution_exception":
		return ErrTooManyRequests
	}
	switch {
	case status == http.StatusNotFound:
		return ErrNotFound
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return ErrUnauthorized
	case status == http.StatusTooManyRequests:
		return ErrTooManyRequests
	case status >= 500:
		return ErrUnavailable
	default:
		return ErrRejected
	}
}

// snippet is the start of a body that is not an engine error, for a message.
func snippet(body []byte) string {
	const max = 200
	s := strings.TrimSpace(string(body[:min(len(body), max)]))
	if len(body) > max {
		s += "..."
	}
	return s
}

// decode unmarshals a 2xx reply into v and releases it.
func decode(r *reply, v any) error {
	defer r.release()
	if err := json.Unmarshal(r.body, v); err != nil {
		return &Error{Op: r.op, Index: r.index, Status: r.status,
			Reason: "unreadable response: " + snippet(r.body), Err: ErrUnavailable}
	}
	return nil
}

// rootInfo is the answer to GET /.
type rootInfo struct {
	ClusterName string `json:"cluster_name"`
	Version     struct {
		Number       string `json:"number"`
		Distribution string `json:"distribution"`
	} `json:"version"`
}

func (ri rootInfo) kind() Kind {
	if ri.Version.Distribution == "opensearch" {
		return OpenSearch
	}
	return Elasticsearch
}

// catIndex is one row of _cat/indices?format=json&h=index,docs.count,health.
// docs.count is null for a closed index.
type catIndex struct {
	Index  string  `json:"index"`
	Docs   *string `json:"docs.count"`
	Health string  `json:"health"`
}

// aliasMap is the answer to GET [index]/_alias[/name].
type aliasMap map[string]struct {
	Aliases map[string]json.RawMessage `json:"aliases"`
}

// listPattern is the GET-only pattern for ListIndices, or "" for all.
func listPattern(prefix string) (string, error) {
	if strings.ContainsAny(prefix, "*?,") || strings.Contains(prefix, "_all") {
		return "", &Error{Op: "list indices", Index: prefix,
			Reason: "prefix must not contain '*', '?', ',' or _all", Err: ErrRejected}
	}
	if prefix == "" {
		return "", nil
	}
	return prefix + "*", nil
}

// mergeIndexStats joins cat rows and aliases, keeps names under prefix,
// hides dot-indices unless prefix asks for them, and sorts by name.
func mergeIndexStats(prefix string, rows []catIndex, aliases aliasMap) []IndexStat {
	out := make([]IndexStat, 0, len(rows))
	for _, row := range rows {
		if !strings.HasPrefix(row.Index, prefix) {
			continue
		}
		if strings.HasPrefix(row.Index, ".") && !strings.HasPrefix(prefix, ".") {
			continue
		}
		st := IndexStat{Name: row.Index, Health: row.Health}
		if row.Docs != nil {
			st.Docs, _ = strconv.ParseInt(*row.Docs, 10, 64)
		}
		for a := range aliases[row.Index].Aliases {
			st.Aliases = append(st.Aliases, a)
		}
		sort.Strings(st.Aliases)
		out = append(out, st)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// aliasIndices lists the indices of an alias answer, sorted.
func aliasIndices(m aliasMap) []string {
	out := make([]string, 0, len(m))
	for idx := range m {
		out = append(out, idx)
	}
	sort.Strings(out)
	return out
}

// flatSettings picks the one index of a flat_settings answer and renders
// every value as a string (lists keep their JSON form).
func flatSettings(op, index string, raw map[string]struct {
	Settings map[string]json.RawMessage `json:"settings"`
}) (map[string]string, error) {
	if len(raw) != 1 {
		return nil, &Error{Op: op, Index: index,
			Reason: fmt.Sprintf("expected one index, got %d", len(raw)), Err: ErrRejected}
	}
	out := map[string]string{}
	for _, v := range raw {
		for k, val := range v.Settings {
			var s string
			if json.Unmarshal(val, &s) == nil {
				out[k] = s
			} else {
				out[k] = string(val)
			}
		}
	}
	return out, nil
}

// taskCounts is the synchronous answer of _delete_by_query and _reindex.
type taskCounts struct {
	Deleted  int64             `json:"deleted"`
	Created  int64             `json:"created"`
	Updated  int64             `json:"updated"`
	Failures []json.RawMessage `json:"failures"`
}

// failed reports the first failure of a by-query task as an *Error.
func (tc taskCounts) failed(op, index string) error {
	if len(tc.Failures) == 0 {
		return nil
	}
	var f struct {
		Status int         `json:"status"`
		Cause  engineError `json:"cause"`
	}
	_ = json.Unmarshal(tc.Failures[0], &f)
	return &Error{Op: op, Index: index, Status: f.Status, Type: f.Cause.Type,
		Reason: fmt.Sprintf("%d failures, first: %s", len(tc.Failures), f.Cause.text()),
		Err:    sentinelFor(f.Status, f.Cause.Type)}
}

// checkExplicit refuses names that could address more than they say. It
// guards every destructive call, before any request is sent.
func checkExplicit(op string, names ...string) error {
	if len(names) == 0 {
		return &Error{Op: op, Reason: "no index named", Err: ErrRejected}
	}
	for _, n := range names {
		if n == "" || n == "_all" || strings.ContainsAny(n, "*?,") {
			return &Error{Op: op, Index: n,
				Reason: "refusing a name that is empty, _all, or has '*', '?' or ','", Err: ErrRejected}
		}
	}
	return nil
}

// aliasActions is the body of the one _aliases call of SwapAlias.
func aliasActions(alias, index string, remove []string) []byte {
	type target struct {
		Index string `json:"index"`
		Alias string `json:"alias"`
	}
	type action struct {
		Add    *target `json:"add,omitempty"`
		Remove *target `json:"remove,omitempty"`
	}
	acts := make([]action, 0, len(remove)+1)
	for _, old := range remove {
		acts = append(acts, action{Remove: &target{Index: old, Alias: alias}})
	}
	acts = append(acts, action{Add: &target{Index: index, Alias: alias}})
	b, _ := json.Marshal(map[string]any{"actions": acts})
	return b
}

// joinNames names several indices in one error.
func joinNames(names []string) string { return strings.Join(names, ",") }

// errNoAnswer stands in when a client returns neither answer nor error.
var errNoAnswer = errors.New("no answer from the engine")

// The helpers below finish a call the same way for both adapters: they
// take the adapter's (reply, error) pair, release the reply, and decode.

func existsFrom(r *reply, err error) (bool, error) {
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	r.release()
	return err == nil, err
}

func aliasFrom(r *reply, err error) ([]string, error) {
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var m aliasMap
	if err := decode(r, &m); err != nil {
		return nil, err
	}
	return aliasIndices(m), nil
}

func countFrom(r *reply, err error) (int64, error) {
	if err != nil {
		return 0, err
	}
	var c struct {
		Count int64 `json:"count"`
	}
	if err := decode(r, &c); err != nil {
		return 0, err
	}
	return c.Count, nil
}

// tasksFrom returns deleted for delete by query and created+updated for
// reindex; each answer has zero in the other fields.
func tasksFrom(r *reply, err error) (int64, error) {
	if err != nil {
		return 0, err
	}
	var tc taskCounts
	op, index := r.op, r.index
	if err := decode(r, &tc); err != nil {
		return 0, err
	}
	if err := tc.failed(op, index); err != nil {
		return 0, err
	}
	return tc.Deleted + tc.Created + tc.Updated, nil
}

func settingsFrom(r *reply, err error) (map[string]string, error) {
	if err != nil {
		return nil, err
	}
	var raw map[string]struct {
		Settings map[string]json.RawMessage `json:"settings"`
	}
	op, index := r.op, r.index
	if err := decode(r, &raw); err != nil {
		return nil, err
	}
	return flatSettings(op, index, raw)
}
