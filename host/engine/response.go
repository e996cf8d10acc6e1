package engine

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
)

// This file is the part of the adapter that reads what came back, whatever
// the vendor client: reading a response, mapping an error body to a
// sentinel, and decoding the few answers demhost needs. Each client sends
// and hands the raw status and body here, through adapter.call.

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
	} else if tc := (taskCounts{}); len(body) > 0 && json.Unmarshal(body, &tc) == nil && len(tc.Failures) > 0 {
		// A by-query task (reindex, delete by query) whose documents
		// failed answers with their status and no error envelope.
		if fe, ok := tc.failed(op, index).(*Error); ok {
			e.Type, e.Reason = fe.Type, fe.Reason
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
	case "mapper_exception":
		// A mapping update the engine cannot merge (e.g. "the [enabled]
		// parameter can't be updated") answers 500, but retrying it
		// never helps: the request is refused.
		return ErrRejected
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
