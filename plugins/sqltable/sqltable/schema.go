package sqltable

import (
	"bytes"
	"context"
	"encoding/json"

	"github.com/jackc/pgx/v5"
)

// column is one column of the table, as Postgres describes it.
type column struct {
	Name string
	// Format is format_type(): what a value is cast to, e.g. "character varying(20)".
	Format string
	// Base is the type's name after resolving domains and arrays, e.g. "varchar".
	Base string
	// Kind is pg_type.typtype of Base: 'c' composite, 'e' enum, 'b' base, …
	Kind byte
}

// relation is the resolved table or view.
type relation struct {
	Quoted  string // regclass text: quoted, schema-qualified when needed
	OID     uint32
	Schema  string // unquoted, as pg_stats names it
	Name    string
	Kind    byte // pg_class.relkind: 'r' table, 'p' partitioned table, 'v' view, 'm' materialized view, …
	Columns []column
}

func (r *relation) column(name string) (column, bool) {
	for _, c := range r.Columns {
		if c.Name == name {
			return c, true
		}
	}
	return column{}, false
}

const columnsSQL = `
WITH cols AS (
  SELECT a.attnum, a.attname, format_type(a.atttypid, a.atttypmod) AS fmt,
         CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE t.oid END AS tid
  FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
  WHERE a.attrelid = $1 AND a.attnum > 0 AND NOT a.attisdropped
), resolved AS (
  SELECT c.attnum, c.attname, c.fmt,
         CASE WHEN t.typcategory = 'A' AND t.typelem <> 0 THEN t.typelem ELSE t.oid END AS eid
  FROM cols c JOIN pg_type t ON t.oid = c.tid
)
SELECT r.attname, r.fmt,
       CASE WHEN e.typtype = 'd' THEN b.typname ELSE e.typname END,
       CASE WHEN e.typtype = 'd' THEN b.typtype ELSE e.typtype END::text
FROM resolved r JOIN pg_type e ON e.oid = r.eid LEFT JOIN pg_type b ON b.oid = e.typbasetype
ORDER BY r.attnum`

// describeTable resolves table and lists its columns. A missing table is
// a ConfigError on "table".
func describeTable(ctx context.Context, conn *pgx.Conn, table string) (*relation, error) {
	var oid *uint32
	var quoted *string
	err := conn.QueryRow(ctx, `SELECT to_regclass($1)::oid, to_regclass($1)::text`, table).Scan(&oid, &quoted)
	if err != nil {
		return nil, configErr("table", "look up %q: %v", table, err)
	}
	if oid == nil {
		return nil, configErr("table", "table or view %q does not exist", table)
	}
	rel := &relation{Quoted: *quoted, OID: *oid}
	var kind string
	err = conn.QueryRow(ctx, `SELECT n.nspname, c.relname, c.relkind::text FROM pg_class c
		JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = $1`, *oid).Scan(&rel.Schema, &rel.Name, &kind)
	if err != nil {
		return nil, configErr("table", "look up %q: %v", table, err)
	}
	rel.Kind = kind[0]
	rows, err := conn.Query(ctx, columnsSQL, *oid)
	if err != nil {
		return nil, configErr("table", "list columns of %q: %v", table, err)
	}
	for rows.Next() {
		var c column
		var kind string
		if err := rows.Scan(&c.Name, &c.Format, &c.Base, &kind); err != nil {
			return nil, configErr("table", "list columns of %q: %v", table, err)
		}
		if kind != "" {
			c.Kind = kind[0]
		}
		rel.Columns = append(rel.Columns, c)
	}
	if err := rows.Err(); err != nil {
		return nil, configErr("table", "list columns of %q: %v", table, err)
	}
	return rel, nil
}

// fieldMapping is the inferred mapping of one column; see README.md.
func fieldMapping(c column) string {
	switch c.Base {
	case "text", "varchar", "bpchar", "name", "citext":
		return `{"type":"text","fields":{"raw":{"type":"keyword","ignore_above":256}}}`
	case "int2", "int4":
		return `{"type":"integer"}`
	case "int8", "oid":
		return `{"type":"long"}`
	case "float4":
		return `{"type":"float"}`
	case "float8", "numeric":
		return `{"type":"double"}`
	case "bool":
		return `{"type":"boolean"}`
	case "date", "timestamp", "timestamptz":
		return `{"type":"date"}`
	case "json", "jsonb":
		return `{"type":"object"}`
	}
	if c.Kind == 'c' { // composite: row_to_json writes a nested object
		return `{"type":"object"}`
	}
	return `{"type":"keyword","ignore_above":1024}`
}

// inferMappings builds {"properties": {...}} for cols, in column order.
func inferMappings(cols []column) json.RawMessage {
	var b bytes.Buffer
	b.WriteString(`{"properties":{`)
	for i, c := range cols {
		if i > 0 {
			b.WriteByte(',')
		}
		name, _ := json.Marshal(c.Name)
		b.Write(name)
		b.WriteByte(':')
		b.WriteString(fieldMapping(c))
	}
	b.WriteString(`}}`)
	return b.Bytes()
}

// checkColumns makes sure every configured column exists and that the
// updated-at column is a date or timestamp.
func checkColumns(cfg *Config, rel *relation) error {
	need := []struct{ key, name string }{{"id_column", cfg.IDColumn}}
	if cfg.UpdatedAtColumn != "" {
		need = append(need, struct{ key, name string }{"updated_at_column", cfg.UpdatedAtColumn})
	}
	if cfg.DeletedColumn != "" {
		need = append(need, struct{ key, name string }{"deleted_column", cfg.DeletedColumn})
	}
	for _, c := range cfg.Columns {
		need = append(need, struct{ key, name string }{"columns", c})
	}
	for _, n := range need {
		if _, ok := rel.column(n.name); !ok {
			return configErr(n.key, "column %q not found in %s", n.name, rel.Quoted)
		}
	}
	if cfg.UpdatedAtColumn != "" {
		c, _ := rel.column(cfg.UpdatedAtColumn)
		switch c.Base {
		case "date", "timestamp", "timestamptz":
		default:
			return configErr("updated_at_column", "column %q has type %s; want a date or timestamp", c.Name, c.Format)
		}
		if c.Format != "" && c.Format[len(c.Format)-1] == ']' {
			return configErr("updated_at_column", "column %q is an array (%s)", c.Name, c.Format)
		}
	}
	return nil
}

// docColumns is the columns that make up each document.
func docColumns(cfg *Config, rel *relation) []column {
	if len(cfg.Columns) == 0 {
		return rel.Columns
	}
	out := make([]column, 0, len(cfg.Columns))
	for _, name := range cfg.Columns {
		c, _ := rel.column(name)
		out = append(out, c)
	}
	return out
}

func quoteIdent(name string) string { return pgx.Identifier{name}.Sanitize() }
