package engine

import (
	"bytes"
	"encoding/json"
	"time"
)

// bulkFilterPath trims a bulk answer to what parseBulk reads. The head of
// the answer is then {"errors":false,... so the fast path finds it at once.
// Every item keeps its status, so that an item's position is known; its
// _id is left out (the engine writes one less field per document, and
// the answer of 1,000 documents shrinks from about 42 KB to 25 KB):
// failureIDs reads it from the request instead, for the failures alone.
var bulkFilterPath = []string{"errors", "items.*.error", "items.*.status"}

// failureIDs sets the ID of each failure that has none from the action
// line at its position in body, the NDJSON the answer is about. An
// action line is followed by a source line unless it is a delete.
func failureIDs(body []byte, failures []BulkItemFailure) {
	want := map[int][]int{} // position -> indexes into failures
	for i, f := range failures {
		if f.ID == "" {
			want[f.Position] = append(want[f.Position], i)
		}
	}
	for pos := 0; len(want) > 0 && len(body) > 0; pos++ {
		line := nextLine(&body)
		for len(bytes.TrimSpace(line)) == 0 && len(body) > 0 {
			line = nextLine(&body) // blank lines are not items
		}
		var action map[string]struct {
			ID string `json:"_id"`
		}
		if err := json.Unmarshal(line, &action); err != nil {
			return // not NDJSON this code can follow: leave the IDs empty
		}
		del := false
		for op, meta := range action {
			del = op == "delete"
			for _, i := range want[pos] {
				failures[i].ID = meta.ID
			}
		}
		delete(want, pos)
		if !del {
			nextLine(&body) // the source
		}
	}
}

// nextLine cuts the first line off *b and returns it, without its '\n'.
func nextLine(b *[]byte) []byte {
	line, rest, _ := bytes.Cut(*b, []byte{'\n'})
	*b = rest
	return line
}

// bulkShardWait is the bulk request's timeout: how long the engine waits
// for a shard that is not there (a lost node's, until a replica is
// promoted) before it answers 503 for the items bound to it, while the
// rest of the request is written. It is well below DefaultTimeout, so
// that a lost shard costs its own items, which the caller resends, and
// not the whole request, which would time out in the client. The
// engines' own default is 1m.
const bulkShardWait = 30 * time.Second

var (
	errorsKey   = []byte(`"errors":`)
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
		return BulkResult{Items: countStatusKeys(body)}, nil
	}
	return parseBulkItems(index, r.status, body)
}

// countStatusKeys counts the items of a bulk answer: every item carries
// exactly one "status": key, which cannot occur unescaped inside a JSON
// string. It jumps between the rare byte 'u' with IndexByte (vectorized),
// which is several times faster than bytes.Count with a 9-byte separator.
func countStatusKeys(body []byte) int {
	const key = `"status":`
	n := 0
	for i := 0; ; {
		j := bytes.IndexByte(body[i:], 'u')
		if j < 0 {
			return n
		}
		u := i + j // the 'u' of "status" is key[5]
		if u >= 5 && u+4 <= len(body) && string(body[u-5:u+4]) == key {
			n++
		}
		i = u + 1
	}
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

// parseBulkItems walks the items array with a small structural scanner
// and decodes only the items that carry an "error": key (which, like
// "status":, cannot occur unescaped inside a string). With a few failures
// among thousands of items this is far cheaper than decoding them all.
func parseBulkItems(index string, status int, body []byte) (BulkResult, error) {
	unreadable := func() (BulkResult, error) {
		return BulkResult{}, &Error{Op: "bulk", Index: index, Status: status,
			Reason: "unreadable response: " + snippet(body), Err: ErrUnavailable}
	}
	start := bytes.Index(body, itemsKey)
	if start < 0 {
		return unreadable()
	}
	var res BulkResult
	rest := body[start+len(itemsKey):]
	for {
		span, tail, ok := nextObject(rest)
		if !ok {
			return unreadable()
		}
		if span == nil {
			return res, nil
		}
		pos := res.Items
		res.Items++
		rest = tail
		if !bytes.Contains(span, errorKey) {
			continue
		}
		var item bulkItem
		if err := json.Unmarshal(span, &item); err != nil {
			return unreadable()
		}
		if it := item.result(); it != nil && it.Error != nil {
			res.Failures = append(res.Failures, it.failure(pos, index))
		}
	}
}

var (
	itemsKey = []byte(`"items":[`)
	errorKey = []byte(`"error":`)
)

// nextObject returns the next {...} of a JSON array whose opening '[' is
// already consumed, and what follows it. At the closing ']' it returns a
// nil span and ok; on malformed input, ok is false.
func nextObject(b []byte) (span, tail []byte, ok bool) {
	i := 0
	for i < len(b) && (b[i] == ',' || b[i] == ' ' || b[i] == '\n' || b[i] == '\r' || b[i] == '\t') {
		i++
	}
	if i == len(b) {
		return nil, nil, false
	}
	if b[i] == ']' {
		return nil, b[i+1:], true
	}
	if b[i] != '{' {
		return nil, nil, false
	}
	depth, inString := 0, false
	for j := i; j < len(b); j++ {
		c := b[j]
		switch {
		case inString:
			if c == '\\' {
				j++
			} else if c == '"' {
				inString = false
			}
		case c == '"':
			inString = true
		case c == '{' || c == '[':
			depth++
		case c == '}' || c == ']':
			depth--
			if depth == 0 {
				return b[i : j+1], b[j+1:], true
			}
		}
	}
	return nil, nil, false
}

func (it *bulkItemResult) failure(pos int, index string) BulkItemFailure {
	f := BulkItemFailure{Position: pos, ID: it.ID, Index: it.Index, Status: it.Status,
		Type: it.Error.Type, Reason: it.Error.text()}
	if f.Index == "" {
		f.Index = it.Error.Index
	}
	if f.Index == "" {
		f.Index = index
	}
	return f
}
