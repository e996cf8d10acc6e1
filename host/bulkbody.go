package host

import (
	"bytes"
	"time"
	"unicode/utf8"

	sdk "github.com/demhost/demhost/plugin-sdk"
)

// bulkBuf is one bulk request body being filled or sent. Documents are
// appended as the source sent them; the body is posted as it is.
type bulkBuf struct {
	body []byte
	// items holds where each action line starts, so an item that comes
	// back 429 can be cut out of the body by its position.
	items   []bulkItem
	deletes int
	first   time.Time // when the first item was appended
}

type bulkItem struct {
	off int32
	del bool
}

func (b *bulkBuf) reset() {
	b.body = b.body[:0]
	b.items = b.items[:0]
	b.deletes = 0
}

// len is the number of items (action lines) in the body.
func (b *bulkBuf) len() int { return len(b.items) }

// add appends one document.
func (b *bulkBuf) add(d *sdk.Doc) {
	del := d.Op == sdk.OpDelete
	b.items = append(b.items, bulkItem{off: int32(len(b.body)), del: del})
	if del {
		b.deletes++
	}
	b.body = appendDoc(b.body, d)
}

// item returns the bytes of item i: its action line and its source line.
func (b *bulkBuf) item(i int) []byte {
	end := len(b.body)
	if i+1 < len(b.items) {
		end = int(b.items[i+1].off)
	}
	return b.body[b.items[i].off:end]
}

// appendDoc appends the NDJSON of one document to a bulk body: an action
// line and, for an index operation, the source line. The source is
// copied as it is, except that raw newlines (legal JSON whitespace, but
// NDJSON's separator) become spaces.
func appendDoc(b []byte, d *sdk.Doc) []byte {
	if d.Op == sdk.OpDelete {
		b = append(b, `{"delete":{"_id":`...)
		b = appendJSONString(b, d.ID)
	} else if d.ID != "" {
		b = append(b, `{"index":{"_id":`...)
		b = appendJSONString(b, d.ID)
	} else {
		b = append(b, `{"index":{`...) // the engine assigns an id
	}
	if d.Routing != "" {
		if d.Op != sdk.OpDelete && d.ID == "" {
			b = append(b, `"routing":`...)
		} else {
			b = append(b, `,"routing":`...)
		}
		b = appendJSONString(b, d.Routing)
	}
	b = append(b, "}}\n"...)
	if d.Op == sdk.OpDelete {
		return b
	}
	start := len(b)
	b = append(b, d.Source...)
	if bytes.IndexByte(d.Source, '\n') >= 0 {
		for i := start; i < len(b); i++ {
			if b[i] == '\n' {
				b[i] = ' '
			}
		}
	}
	return append(b, '\n')
}

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as a JSON string. Invalid UTF-8 becomes
// U+FFFD, as encoding/json does, so that one odd id cannot make the
// engine refuse a whole request.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
