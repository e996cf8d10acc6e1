package bench

import (
	"encoding/json"
)

// BuildBulkBodies returns the NDJSON bodies of the ceiling contender: docs
// in order, batch per body, each an index action with the explicit id
// followed by the source unchanged. The index is named in the request URL,
// not in the action lines. A batch below 1 is taken as 1.
func BuildBulkBodies(docs []Doc, batch int) [][]byte {
	batch = max(batch, 1)
	bodies := make([][]byte, 0, (len(docs)+batch-1)/batch)
	for start := 0; start < len(docs); start += batch {
		chunk := docs[start:min(start+batch, len(docs))]
		size := 0
		for _, d := range chunk {
			size += len(`{"index":{"_id":""}}`) + len(d.ID) + 4 + len(d.Source)
		}
		b := make([]byte, 0, size)
		for _, d := range chunk {
			b = AppendIndexAction(b, d.ID)
			b = append(b, d.Source...)
			b = append(b, '\n')
		}
		bodies = append(bodies, b)
	}
	return bodies
}

// AppendIndexAction appends `{"index":{"_id":"<id>"}}` and a newline.
func AppendIndexAction(b []byte, id string) []byte {
	b = append(b, `{"index":{"_id":`...)
	if safeID(id) {
		b = append(b, '"')
		b = append(b, id...)
		b = append(b, '"')
	} else {
		q, _ := json.Marshal(id) // a string always marshals
		b = append(b, q...)
	}
	return append(b, "}}\n"...)
}

// safeID reports whether id needs no JSON escaping.
func safeID(id string) bool {
	for i := 0; i < len(id); i++ {
		c := id[i]
		if c < 0x20 || c == '"' || c == '\\' || c >= 0x80 {
			return false
		}
	}
	return true
}
