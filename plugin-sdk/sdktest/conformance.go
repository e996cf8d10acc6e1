package sdktest

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	sdk "github.com/demhost/demhost/plugin-sdk"
)

// Config tunes Run. The zero value works for a source whose zero config
// ({}) is usable.
type Config struct {
	// Config is the JSON given to Configure (default {}).
	Config json.RawMessage
	// Partitions is the n of the partitioned read, for indexes with the
	// Partitions capability (default 3).
	Partitions int
	// Indexes limits the suite to these indexes (default: all described).
	Indexes []string
}

// Run is the conformance suite. Through the real gRPC path (Connect) it
// checks that Configure accepts cfg.Config; that Describe lists at least
// one index with a valid name, a JSON object as mappings and an empty or
// object settings; and, for each index, that a full read yields valid
// documents (non-empty unique ids, JSON object sources, deletes only with
// the Deletes capability), that k of n partitions are disjoint and cover
// the full read (also with the source's split, for a Splitter), that a
// future since yields a subset, that a watermark (for a Watermarker) is
// answered without error, that a count (for a Counter) equals the
// documents of the full read, and that an unknown index is an error.
func Run(t *testing.T, src sdk.Source, cfg Config) {
	t.Helper()
	if len(cfg.Config) == 0 {
		cfg.Config = json.RawMessage(`{}`)
	}
	if cfg.Partitions == 0 {
		cfg.Partitions = 3
	}
	p := Connect(t, src)
	ctx := context.Background()
	if _, err := p.Configure(ctx, &sdk.ConfigureRequest{Config: cfg.Config}); err != nil {
		t.Fatalf("configure %s: %v", cfg.Config, err)
	}
	desc, err := p.Describe(ctx, &sdk.DescribeRequest{})
	if err != nil {
		t.Fatalf("describe: %v", err)
	}
	if len(desc.Indexes) == 0 {
		t.Fatal("describe lists no index")
	}
	seen := map[string]bool{}
	for _, spec := range desc.Indexes {
		if seen[spec.Name] {
			t.Errorf("describe lists index %q twice", spec.Name)
		}
		seen[spec.Name] = true
		if len(cfg.Indexes) > 0 && !contains(cfg.Indexes, spec.Name) {
			continue
		}
		t.Run(spec.Name, func(t *testing.T) { checkIndex(t, p, spec, cfg) })
	}
	for _, name := range cfg.Indexes {
		if !seen[name] {
			t.Errorf("index %q is not described", name)
		}
	}
	t.Run("unknown index", func(t *testing.T) {
		err := p.Stream(ctx, &sdk.StreamRequest{Index: "sdktest-no-such-index", Partitions: 1},
			func(*sdk.Batch) error { return nil })
		if err == nil {
			t.Error("streaming an unknown index succeeded; return an error wrapping sdk.ErrUnknownIndex")
		} else if !errors.Is(err, sdk.ErrUnknownIndex) {
			t.Logf("hint: wrap sdk.ErrUnknownIndex so the host can tell: %v", err)
		}
	})
}

func checkIndex(t *testing.T, p *sdk.Plugin, spec sdk.IndexSpec, cfg Config) {
	if problem := badIndexName(spec.Name); problem != "" {
		t.Errorf("index name %q: %s", spec.Name, problem)
	}
	if !isObject(spec.Mappings) {
		t.Errorf("mappings of %q is not a JSON object: %.200s", spec.Name, spec.Mappings)
	}
	if len(spec.Settings) > 0 && !isObject(spec.Settings) {
		t.Errorf("settings of %q is not a JSON object: %.200s", spec.Name, spec.Settings)
	}

	all := ReadAll(t, p, &sdk.StreamRequest{Index: spec.Name, Partitions: 1})
	ids := map[string]bool{}
	for _, d := range all {
		if ids[d.ID] {
			t.Errorf("id %q sent twice in one read", d.ID)
		}
		ids[d.ID] = true
		if d.Op == sdk.OpDelete && !spec.Capabilities.Deletes {
			t.Errorf("delete of %q sent without the Deletes capability", d.ID)
		}
	}
	t.Logf("%s: %d documents", spec.Name, len(all))
	checkCount(t, p, spec, all)

	if spec.Capabilities.Partitions {
		n := cfg.Partitions
		checkPartitions(t, p, spec, n, nil, ids)
		// A split (for a Splitter) is what different processes read the
		// partitions by: the same promise holds with it.
		resp, err := p.Split(context.Background(), &sdk.SplitRequest{Index: spec.Name, Partitions: n})
		if err != nil {
			t.Errorf("split of %q into %d partitions: %v", spec.Name, n, err)
		} else if len(resp.Split) > 0 {
			checkPartitions(t, p, spec, n, resp.Split, ids)
		}
	}

	if spec.Capabilities.Since {
		future := time.Now().Add(24 * time.Hour)
		docs := ReadAll(t, p, &sdk.StreamRequest{Index: spec.Name, Since: future, Partitions: 1})
		for _, d := range docs {
			if !ids[d.ID] {
				t.Errorf("id %q read since %s is not in the full read", d.ID, future.Format(time.RFC3339))
			}
		}
		if len(docs) > len(all) {
			t.Errorf("since %s read %d documents, more than the full read's %d", future.Format(time.RFC3339), len(docs), len(all))
		}
		checkWatermark(t, p, spec, len(all))
	}
}

// checkPartitions reads k of n partitions, with split when not nil, and
// checks they are disjoint and together hold exactly the full read's ids.
func checkPartitions(t *testing.T, p *sdk.Plugin, spec sdk.IndexSpec, n int, split []byte, ids map[string]bool) {
	with := ""
	if split != nil {
		with = " (with the source's split)"
	}
	owner := map[string]int{}
	for k := range n {
		for _, d := range ReadAll(t, p, &sdk.StreamRequest{Index: spec.Name, Partition: k, Partitions: n, Split: split}) {
			if prev, dup := owner[d.ID]; dup {
				t.Errorf("id %q is in partitions %d and %d of %d%s", d.ID, prev, k, n, with)
			}
			owner[d.ID] = k
			if !ids[d.ID] {
				t.Errorf("id %q of partition %d/%d%s is not in the full read", d.ID, k, n, with)
			}
		}
	}
	if len(owner) != len(ids) {
		t.Errorf("%d partitions%s hold %d ids, the full read %d", n, with, len(owner), len(ids))
	}
}

// checkWatermark asks for the index's watermark over gRPC. A source that
// keeps none answers the zero time; one that does must answer a time from
// which a read yields at most the full read, and no error.
func checkWatermark(t *testing.T, p *sdk.Plugin, spec sdk.IndexSpec, full int) {
	resp, err := p.Watermark(context.Background(), &sdk.WatermarkRequest{Index: spec.Name})
	if err != nil {
		t.Errorf("watermark of %q: %v", spec.Name, err)
		return
	}
	if resp.Watermark.IsZero() {
		t.Logf("%s: the source keeps no watermark; the host will fall back to its own clock", spec.Name)
		return
	}
	docs := ReadAll(t, p, &sdk.StreamRequest{Index: spec.Name, Since: resp.Watermark, Partitions: 1})
	if len(docs) > full {
		t.Errorf("since the watermark %s read %d documents, more than the full read's %d",
			resp.Watermark.Format(time.RFC3339Nano), len(docs), full)
	}
}

// checkCount asks for the index's count over gRPC. A source that cannot
// count answers sdk.ErrNoCount; one that can must count what a full read
// sends as documents (not its deletes or skips).
func checkCount(t *testing.T, p *sdk.Plugin, spec sdk.IndexSpec, all []sdk.Doc) {
	resp, err := p.Count(context.Background(), &sdk.CountRequest{Index: spec.Name})
	if errors.Is(err, sdk.ErrNoCount) {
		t.Logf("%s: the source cannot count; deploy's gate will not check its count", spec.Name)
		return
	}
	if err != nil {
		t.Errorf("count of %q: %v", spec.Name, err)
		return
	}
	var docs int64
	for _, d := range all {
		if d.Op == sdk.OpIndex {
			docs++
		}
	}
	if resp.Count != docs {
		t.Errorf("count of %q is %d, but a full read sent %d documents; deploy's gate compares the two", spec.Name, resp.Count, docs)
	}
}

// badIndexName applies the rules Elasticsearch and OpenSearch share.
func badIndexName(name string) string {
	switch {
	case name == "":
		return "empty"
	case name == "." || name == "..":
		return "reserved"
	case len(name) > 200:
		return "longer than 200 bytes (the environment prefix needs room)"
	case strings.ToLower(name) != name:
		return "must be lowercase"
	case strings.ContainsAny(name, `\/*?"<>| ,#:`):
		return `must not contain \ / * ? " < > | , # : or space`
	case strings.IndexAny(name[:1], "-_+.") == 0:
		return "must not start with - _ + or ."
	}
	return ""
}

func isObject(b json.RawMessage) bool {
	var m map[string]json.RawMessage
	return json.Unmarshal(b, &m) == nil && m != nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
