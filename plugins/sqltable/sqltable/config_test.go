package sqltable_test

import (
	"errors"
	"strings"
	"testing"

	sdk "github.com/demhost/demhost/plugin-sdk"

	"github.com/demhost/demhost/plugins/sqltable/sqltable"
)

func TestBadConfig(t *testing.T) {
	t.Parallel()
	d := newDB(t)
	table := d.schema + ".things"
	d.exec(t, `CREATE TABLE `+table+` (id int PRIMARY KEY, name text, n int)`)
	const secret = "s3cretPassw0rd"
	tests := []struct {
		name    string
		cfg     map[string]any
		key     string // the key the error must name; "" for a JSON decode error
		problem string
	}{
		{"missing table key", map[string]any{"id_column": "id"}, "table", "missing"},
		{"missing id_column", map[string]any{"table": table}, "id_column", "missing"},
		{"unknown key", map[string]any{"table": table, "id_column": "id", "colour": 1}, "", "colour"},
		{"missing table", map[string]any{"table": d.schema + ".nope", "id_column": "id"}, "table", "does not exist"},
		{"missing id column", map[string]any{"table": table, "id_column": "uid"}, "id_column", `"uid" not found`},
		{"missing updated_at column", map[string]any{"table": table, "id_column": "id", "updated_at_column": "changed"}, "updated_at_column", "not found"},
		{"updated_at not a time", map[string]any{"table": table, "id_column": "id", "updated_at_column": "n"}, "updated_at_column", "want a date or timestamp"},
		{"missing deleted column", map[string]any{"table": table, "id_column": "id", "deleted_column": "gone"}, "deleted_column", "not found"},
		{"missing listed column", map[string]any{"table": table, "id_column": "id", "columns": []string{"name", "age"}}, "columns", `"age" not found`},
		{"mapping an array", map[string]any{"table": table, "id_column": "id", "mapping": []int{1}}, "mapping", "not a JSON object"},
		{"mapping a bad string", map[string]any{"table": table, "id_column": "id", "mapping": "{nope"}, "mapping", "not valid JSON"},
		{"settings a number", map[string]any{"table": table, "id_column": "id", "settings": 3}, "settings", "not a JSON object"},
		{"negative page size", map[string]any{"table": table, "id_column": "id", "page_size": -1}, "page_size", "negative"},
		{"unknown paging", map[string]any{"table": table, "id_column": "id", "paging": "cursor"}, "paging", "not one of auto, keyset, off, blocks"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := d.source(tt.cfg)
			checkErr(t, err, tt.key, tt.problem)
		})
	}
	// DSN problems: the configured dsn replaces the test's own.
	for _, tt := range []struct{ name, dsn, problem string }{
		{"unparsable dsn", "postgres://u:" + secret + "@host:notaport/db", "cannot be parsed"},
		{"unreachable db", "postgres://u:" + secret + "@127.0.0.1:1/db?connect_timeout=3", "cannot connect"},
		{"wrong password", strings.Replace(d.dsn, "demhost:demhost@", "demhost:"+secret+"@", 1), "cannot connect"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := sqltable.New()
			_, err := s.Configure(d.ctx, configRequest(map[string]any{"dsn": tt.dsn, "table": table, "id_column": "id"}))
			checkErr(t, err, "dsn", tt.problem)
			if err != nil && strings.Contains(err.Error(), secret) {
				t.Fatalf("the error shows the password: %v", err)
			}
		})
	}
}

func checkErr(t *testing.T, err error, key, problem string) {
	t.Helper()
	if err == nil {
		t.Fatal("Configure succeeded")
	}
	msg := err.Error()
	if !errors.Is(err, sdk.ErrInvalidConfig) {
		t.Errorf("error %q does not wrap sdk.ErrInvalidConfig", msg)
	}
	if !strings.HasPrefix(msg, "sqltable: ") || !strings.Contains(msg, problem) {
		t.Fatalf("error %q should start with sqltable: and say %q", msg, problem)
	}
	if key != "" {
		var ce *sqltable.ConfigError
		if !errors.As(err, &ce) || ce.Key != key {
			t.Fatalf("error %q is not a ConfigError on %q", msg, key)
		}
	}
}
