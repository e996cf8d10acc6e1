package engine

import (
	"bytes"
	"encoding/json"
)

// bulkFilterPath trims a bulk answer to what parseBulk reads. The head of
// the answer is then {"errors":false,... so the fast path finds it at once.
var bulkFilterPath = []string{"errors", "items.*.error", "items.*._id", "items.*.status"}

var (
	errorsKey   = []byte(`"errors":`)
	statusKey   = []byte(`"status":`)
	bulkHeadLen = 64
)

// parseBulk reads a 2xx bulk answer and releases it. When the head says
// "errors":false the items are only counted, never decoded: that is the
// hot path of every update. Otherwise the items are decoded and each
// failed one is returned with its position.
func parseBulk(index string, r *reply) (BulkResult, error) {
	defer r.release()
	body := r.body
	if errs, ok := bulkErrorsFlag(body); ok && !errs {
		// Every item carries exactly one "status": key, and the key cannot
		// occur unescaped inside a JSON string, so this counts items.
		return BulkResult{Items: bytes.Count(body, statusKey)}, nil
	}
	return parseBulkItems(index, r.status, body)
}

// bulkErrorsFlag finds "errors":true|false near the head of a bulk answer.
// ok is false when it is not there, and the caller must decode.
func bulkErrorsFlag(body []byte) (errs, ok bool) {
	head := body[:min(len(body), bulkHeadLen)]
	i := bytes.Index(head, errorsKey)
	if i < 0 {
		return false, false
	}
	rest := body[i+len(errorsKey):]
	for len(rest) > 0 && (rest[0] == ' ' || rest[0] == '\n' || rest[0] == '\r' || rest[0] == '\t') {
		rest = rest[1:]
	}
	switch {
	case bytes.HasPrefix(rest, []byte("false")):
		return false, true
	case bytes.HasPrefix(rest, []byte("true")):
		return true, true
	}
	return false, false
}

// bulkItem is one item of a bulk answer; one of its four fields is set.
type bulkItem struct {
	Index  *bulkItemResult `json:"index"`
	Create *bulkItemResult `json:"create"`
	Update *bulkItemResult `json:"update"`
	Delete *bulkItemResult `json:"delete"`
}

type bulkItemResult struct {
	ID     string       `json:"_id"`
	Index  string       `json:"_index"`
	Status int          `json:"status"`
	Error  *bulkErrBody `json:"error"`
}

type bulkErrBody struct {
	engineError
	Index string `json:"index"`
}

func (it *bulkItem) result() *bulkItemResult {
	switch {
	case it.Index != nil:
		return it.Index
	case it.Create != nil:
		return it.Create
	case it.Update != nil:
		return it.Update
	default:
		return it.Delete
	}
}

func parseBulkItems(index string, status int, body []byte) (BulkResult, error) {
	var resp struct {
		Errors bool       `json:"errors"`
		Items  []bulkItem `json:"items"`
	}
	if err := json.Unmarshal(body, &resp); err != nil {
		return BulkResult{}, &Error{Op: "bulk", Index: index, Status: status,
			Reason: "unreadable response: " + snippet(body), Err: ErrUnavailable}
	}
	res := BulkResult{Items: len(resp.Items)}
	for pos := range resp.Items {
		it := resp.Items[pos].result()
		if it == nil || it.Error == nil {
			continue
		}
		f := BulkItemFailure{Position: pos, ID: it.ID, Index: it.Index, Status: it.Status,
			Type: it.Error.Type, Reason: it.Error.text()}
		if f.Index == "" {
			f.Index = it.Error.Index
		}
		if f.Index == "" {
			f.Index = index
		}
		res.Failures = append(res.Failures, f)
	}
	return res, nil
}
