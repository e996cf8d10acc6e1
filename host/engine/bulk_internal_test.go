package engine

import (
	"fmt"
	"strings"
	"testing"
)

// bulkAnswer builds a filtered bulk answer of n items, every failEvery-th
// one failed (none when failEvery is 0), as the engines write it.
func bulkAnswer(n, failEvery int) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, `{"errors":%t,"items":[`, failEvery > 0)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		if failEvery > 0 && i%failEvery == 0 {
			fmt.Fprintf(&b, `{"index":{"_id":"doc-%d","status":400,"error":{"type":"mapper_parsing_exception",`+
				`"reason":"failed to parse field [n] of type [long] in document with id 'doc-%d'",`+
				`"caused_by":{"type":"illegal_argument_exception","reason":"For input string: \"x\""}}}}`, i, i)
			continue
		}
		fmt.Fprintf(&b, `{"index":{"_id":"doc-%d","status":201}}`, i)
	}
	b.WriteString("]}")
	return []byte(b.String())
}

func TestParseBulkAnswers(t *testing.T) {
	for _, c := range []struct {
		n, failEvery, wantFailures int
	}{{1000, 0, 0}, {1000, 100, 10}, {1, 1, 1}} {
		res, err := parseBulk("idx", &reply{status: 200, body: bulkAnswer(c.n, c.failEvery)})
		if err != nil || res.Items != c.n || len(res.Failures) != c.wantFailures {
			t.Errorf("n=%d failEvery=%d: %+v, %v; want %d items, %d failures",
				c.n, c.failEvery, res.Items, err, c.n, c.wantFailures)
		}
	}
}

func TestBulkErrorsFlag(t *testing.T) {
	for _, c := range []struct {
		body     string
		errs, ok bool
	}{
		{`{"errors":false,"items":[]}`, false, true},
		{`{"took":3,"errors": true,"items":[]}`, true, true},
		{`{"items":[` + strings.Repeat(`{"index":{"status":201}},`, 10) + `{}],"errors":false}`, false, false}, // not at the head: decode
		{`garbage`, false, false},
		{``, false, false},
	} {
		errs, ok := bulkErrorsFlag([]byte(c.body))
		if errs != c.errs || ok != c.ok {
			t.Errorf("bulkErrorsFlag(%s) = %v, %v; want %v, %v", c.body, errs, ok, c.errs, c.ok)
		}
	}
}

// BenchmarkParseBulkFast is the answer to a 1000-document bulk that
// succeeded: the hot path, which only counts items.
func BenchmarkParseBulkFast(b *testing.B) {
	body := bulkAnswer(1000, 0)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := parseBulk("idx", &reply{status: 200, body: body}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseBulkErrors is the same answer with 1% of items failed,
// which decodes every item.
func BenchmarkParseBulkErrors(b *testing.B) {
	body := bulkAnswer(1000, 100)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := parseBulk("idx", &reply{status: 200, body: body}); err != nil {
			b.Fatal(err)
		}
	}
}

func TestFailureIDs(t *testing.T) {
	body := []byte(`{"index":{"_id":"a"}}
{"n":1}
{"delete":{"_id":"gone"}}
{"index":{"_id":"we\"ird","routing":"r"}}
{"n":"x"}
{"update":{"_id":"u"}}
{"doc":{"n":2}}
{"delete":{"_id":"last"}}
`)
	failures := []BulkItemFailure{
		{Position: 2, Status: 400},
		{Position: 4, Status: 404},
		{Position: 1, Status: 429},
		{Position: 3, Status: 409},
		{Position: 0, ID: "kept", Status: 500},
	}
	failureIDs(body, failures)
	for i, want := range []string{`we"ird`, "last", "gone", "u", "kept"} {
		if failures[i].ID != want {
			t.Errorf("failure at position %d: ID %q, want %q", failures[i].Position, failures[i].ID, want)
		}
	}
	// A body this code cannot follow leaves the IDs empty, never panics.
	odd := []BulkItemFailure{{Position: 1}}
	failureIDs([]byte("not json\n{}\n"), odd)
	if odd[0].ID != "" {
		t.Errorf("ID from an unreadable body: %q", odd[0].ID)
	}
}
