package bench

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
)

// Doc is one corpus document: its id and its JSON source, exactly as the
// engine should store it.
type Doc struct {
	ID     string
	Source []byte
}

// The corpus file is NDJSON, one document a line, in a form that a reader
// can slice without decoding the source:
//
//	{"id":"<id as a JSON string>","source":<source bytes as generated>}
//
// so every contender sends the generator's bytes unchanged.
var (
	linePrefix = []byte(`{"id":`)
	sourceKey  = []byte(`,"source":`)
)

// errCorpusLine is wrapped by ReadCorpus for a line it cannot slice.
var errCorpusLine = errors.New("malformed corpus line")

// CorpusWriter writes documents to a corpus file.
type CorpusWriter struct {
	w     *bufio.Writer
	n     int
	bytes int64
}

// NewCorpusWriter writes to w; call Flush at the end.
func NewCorpusWriter(w io.Writer) *CorpusWriter {
	return &CorpusWriter{w: bufio.NewWriterSize(w, 1<<20)}
}

// Write appends one document. The source must be one line of JSON.
func (c *CorpusWriter) Write(id string, source []byte) error {
	if bytes.IndexByte(source, '\n') >= 0 {
		return fmt.Errorf("write corpus doc %q: source contains a newline", id)
	}
	qid, err := json.Marshal(id)
	if err != nil {
		return fmt.Errorf("write corpus doc %q: %w", id, err)
	}
	c.w.Write(linePrefix)
	c.w.Write(qid)
	c.w.Write(sourceKey)
	c.w.Write(source)
	if _, err := c.w.WriteString("}\n"); err != nil {
		return fmt.Errorf("write corpus doc %q: %w", id, err)
	}
	c.n++
	c.bytes += int64(len(source))
	return nil
}

// Count is the number of documents written.
func (c *CorpusWriter) Count() int { return c.n }

// SourceBytes is the total size of the sources written.
func (c *CorpusWriter) SourceBytes() int64 { return c.bytes }

// Flush writes buffered data.
func (c *CorpusWriter) Flush() error { return c.w.Flush() }

// ParseCorpusLine slices one corpus line (without its newline) into a
// document. The source aliases line.
func ParseCorpusLine(line []byte) (Doc, error) {
	if !bytes.HasPrefix(line, linePrefix) || len(line) < len(linePrefix)+2 || line[len(line)-1] != '}' {
		return Doc{}, errCorpusLine
	}
	rest := line[len(linePrefix):]
	end := jsonStringEnd(rest)
	if end < 0 || !bytes.HasPrefix(rest[end:], sourceKey) {
		return Doc{}, errCorpusLine
	}
	var id string
	if err := json.Unmarshal(rest[:end], &id); err != nil {
		return Doc{}, fmt.Errorf("%w: id: %v", errCorpusLine, err)
	}
	return Doc{ID: id, Source: rest[end+len(sourceKey) : len(rest)-1]}, nil
}

// jsonStringEnd returns the index just after the JSON string that b starts
// with, or -1.
func jsonStringEnd(b []byte) int {
	if len(b) == 0 || b[0] != '"' {
		return -1
	}
	for i := 1; i < len(b); i++ {
		switch b[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
	return -1
}

// ReadCorpus reads every document of the corpus at path into memory. The
// sources share one buffer per file read, so memory is about the file size.
func ReadCorpus(path string) ([]Doc, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read corpus %s: %w", path, err)
	}
	docs := make([]Doc, 0, bytes.Count(data, []byte{'\n'}))
	for lineNo := 1; len(data) > 0; lineNo++ {
		line := data
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			data = nil
		}
		d, err := ParseCorpusLine(line)
		if err != nil {
			return nil, fmt.Errorf("read corpus %s line %d: %w", path, lineNo, err)
		}
		docs = append(docs, d)
	}
	return docs, nil
}
