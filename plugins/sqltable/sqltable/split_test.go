package sqltable_test

import (
	"fmt"
	"testing"

	"github.com/demhost/demhost/internal/testenv"
	sdk "github.com/demhost/demhost/plugin-sdk"
)

// TestRecordedSplitAgreesAcrossProcesses: the partitions of a distributed
// read are streamed by different plugin processes, maybe hours apart.
// Each stream here is a fresh Source (nothing shared in memory), and an
// ANALYZE after the split moves every quantile. With the split the host
// recorded, every id is sent exactly once; without it the fresh sources
// disagree (the failure the split exists for).
func TestRecordedSplitAgreesAcrossProcesses(t *testing.T) {
	t.Parallel()
	for _, paging := range []string{"keyset", "off"} {
		t.Run(paging, func(t *testing.T) {
			t.Parallel()
			d := newDB(t)
			table := d.schema + ".moving"
			d.exec(t, `CREATE TABLE `+table+` (id text PRIMARY KEY, n int) WITH (autovacuum_enabled = false)`)
			d.exec(t, `INSERT INTO `+table+` SELECT 'a' || g, g FROM generate_series(1, 4000) g`)
			d.exec(t, `ANALYZE `+table)
			cfg := func() map[string]any {
				return map[string]any{"table": table, "index": "m", "id_column": "id", "page_size": 100, "paging": paging}
			}
			const n = 2 * sdk.HostSubPartitions // a multiple of it: no stream's run may be taken for a partition
			resp, err := d.mustSource(t, cfg()).Split(testenv.Context(t), &sdk.SplitRequest{Index: "m", Partitions: n})
			if err != nil || len(resp.Split) == 0 {
				t.Fatalf("split: %v, %v", resp, err)
			}
			// Half the partitions are read, then new rows that sort before
			// every existing id arrive and an ANALYZE shifts all the
			// quantiles, then the other half is read: fresh split points now
			// differ from the recorded ones.
			type read struct {
				seen     map[string]int
				nonEmpty int
			}
			with, without := read{seen: map[string]int{}}, read{seen: map[string]int{}}
			for k := range n {
				if k == n/2 {
					d.exec(t, `INSERT INTO `+table+` SELECT '0' || g, g FROM generate_series(1, 4000) g`)
					d.exec(t, `ANALYZE `+table)
				}
				for r, split := range map[*read][]byte{&with: resp.Split, &without: nil} {
					docs := stream(t, d.mustSource(t, cfg()), &sdk.StreamRequest{Index: "m", Partition: k, Partitions: n, Split: split})
					if len(docs) > 0 {
						r.nonEmpty++
					}
					for _, doc := range docs {
						r.seen[doc.ID]++
					}
				}
			}
			wrong := func(seen map[string]int) (n int) {
				for g := 1; g <= 4000; g++ {
					if seen[fmt.Sprintf("a%d", g)] != 1 {
						n++
					}
				}
				for _, c := range seen {
					if c > 1 {
						n++
					}
				}
				return n
			}
			if w := wrong(with.seen); w > 0 {
				t.Errorf("with the recorded split: %d ids sent twice or, present throughout, not once", w)
			}
			// Each partition is one range of the split: the ids spread over
			// them, none holding a stream's whole run.
			if with.nonEmpty < n/2 {
				t.Errorf("with the recorded split %d of %d partitions had rows; want them spread", with.nonEmpty, n)
			}
			// Without it, what the split exists for: keyset sources planned
			// at different times disagree; unpaged ones put each stream's
			// whole run in one partition (right for one process reading in
			// turn, and all of a distributed read's rows in the first jobs).
			switch {
			case paging == "keyset" && wrong(without.seen) == 0:
				t.Errorf("without the split, sources planned at different times still agreed: the test no longer shows what the split is for")
			case paging == "off" && without.nonEmpty > n/sdk.HostSubPartitions:
				t.Errorf("without the split, %d partitions had rows; want the %d streams' runs", without.nonEmpty, n/sdk.HostSubPartitions)
			}
		})
	}
}

// TestSplitErrors: a split of another partition count, or not sqltable's,
// is refused with a clear error, not read wrongly.
func TestSplitErrors(t *testing.T) {
	t.Parallel()
	d := newDB(t)
	table := d.schema + ".items"
	d.exec(t, `CREATE TABLE `+table+` (id bigint PRIMARY KEY)`)
	d.exec(t, `INSERT INTO `+table+` SELECT g FROM generate_series(1, 1000) g`)
	d.exec(t, `ANALYZE `+table)
	s := d.mustSource(t, map[string]any{"table": table, "index": "i", "id_column": "id"})
	ctx := testenv.Context(t)
	resp, err := s.Split(ctx, &sdk.SplitRequest{Index: "i", Partitions: 8})
	if err != nil {
		t.Fatal(err)
	}
	var c collect
	for _, req := range []*sdk.StreamRequest{
		{Index: "i", Partition: 0, Partitions: 16, Split: resp.Split},
		{Index: "i", Partition: 0, Partitions: 8, Split: []byte("not json")},
	} {
		if err := s.Stream(ctx, req, &c); err == nil {
			t.Errorf("partition %d of %d with split %q: no error", req.Partition, req.Partitions, req.Split)
		}
	}
	if _, err := s.Split(ctx, &sdk.SplitRequest{Index: "other", Partitions: 8}); err == nil {
		t.Error("split of an unknown index: no error")
	}
	if len(c.docs) != 0 {
		t.Errorf("%d documents sent by refused streams", len(c.docs))
	}
	blocks := d.mustSource(t, map[string]any{"table": table, "index": "i", "id_column": "id", "paging": "blocks"})
	if resp, err := blocks.Split(ctx, &sdk.SplitRequest{Index: "i", Partitions: 8}); err != nil || resp.Split != nil {
		t.Errorf("paging: blocks split %v, %v; want none: its partitions depend only on k and n", resp, err)
	}
}
