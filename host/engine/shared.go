package engine

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
)

// This file holds the helpers of adapter.go, alike for every vendor:
// checking names before sending, building the few bodies demhost writes,
// and finishing each call from its (reply, error) pair.

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
	// Only the whole word _all means every index; "flt_all_*" is a
	// pattern like any other.
	if strings.ContainsAny(prefix, "*?,") || prefix == "_all" {
		return "", &Error{Op: "list indices", Index: prefix,
			Reason: "prefix must not contain '*', '?' or ',', nor be _all", Err: ErrRejected}
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

// The helpers below finish a call the same way for every vendor: they
// take the (reply, error) pair of adapter.call, release the reply, and
// decode.

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

var (
	yes        = true
	no         = false
	catColumns = []string{"index", "docs.count", "health"}
)

// unsized is a body net/http cannot size, so it sends it with
// Transfer-Encoding: chunked (one chunk) and writes it with the reader's
// own WriteTo, straight from the bytes, instead of copying it into the
// connection's buffer first. The engine's cost per document is the same
// (the bench's "chunked" suspect: 0.99x the ceiling's on OpenSearch 2.19
// at 1,000,000 documents).
type unsized struct{ *bytes.Reader }

func bodyReader(b []byte) io.Reader {
	if len(b) == 0 {
		return nil
	}
	return bytes.NewReader(b)
}

func queryBody(query []byte) io.Reader {
	if len(bytes.TrimSpace(query)) == 0 {
		query = []byte(`{"match_all":{}}`)
	}
	var b bytes.Buffer
	b.Grow(len(query) + 12)
	b.WriteString(`{"query":`)
	b.Write(query)
	b.WriteString(`}`)
	return &b
}

func reindexBody(src, dst string) io.Reader {
	b, _ := json.Marshal(map[string]any{"source": map[string]string{"index": src}, "dest": map[string]string{"index": dst}})
	return bytes.NewReader(b)
}
