package sqltable_test

import (
	"encoding/json"
	"io"
	"log/slog"
	"testing"

	"github.com/demhost/demhost/plugin-sdk/sdktest"
	"github.com/demhost/demhost/plugins/movies/movies"
	"github.com/demhost/demhost/plugins/sqltable/sqltable"
)

func TestConformance(t *testing.T) {
	t.Parallel()
	d := newDB(t)
	table := d.schema + ".movies"
	if err := movies.LoadPostgres(d.ctx, d.dsn, table, 1500, 3); err != nil {
		t.Fatal(err)
	}
	d.exec(t, `UPDATE `+table+` SET deleted = true WHERE id IN ('syn-7', 'syn-700')`)
	cfg, _ := json.Marshal(map[string]any{"dsn": d.dsn, "table": table, "id_column": "id",
		"updated_at_column": "updated_at", "deleted_column": "deleted", "page_size": 250})
	src := sqltable.New(sqltable.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	sdktest.Run(t, src, sdktest.Config{Config: cfg, Partitions: 3})
}
