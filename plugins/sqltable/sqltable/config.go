package sqltable

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	sdk "github.com/demhost/demhost/plugin-sdk"
)

// DefaultPageSize is the number of rows read per query unless configured.
const DefaultPageSize = 1000

// Config is the plugin's section of the host configuration.
type Config struct {
	// DSN is the Postgres connection string (required).
	DSN string `json:"dsn"`
	// Table is the table or view, "name" or "schema.name" (required).
	Table string `json:"table"`
	// Index is the index name; the default is the table's name without
	// its schema.
	Index string `json:"index"`
	// IDColumn holds the document id (required). Rows where it is NULL are
	// reported and skipped. Give it an index (a primary key) so that
	// keyset pages are cheap.
	IDColumn string `json:"id_column"`
	// UpdatedAtColumn, a date or timestamp, enables incremental reads
	// (since). Optional.
	UpdatedAtColumn string `json:"updated_at_column"`
	// DeletedColumn marks soft-deleted rows, sent as deletes: a boolean
	// column deletes when true, any other column when NOT NULL (e.g.
	// deleted_at). Optional.
	DeletedColumn string `json:"deleted_column"`
	// Columns limits the document to these columns; the default is all.
	Columns []string `json:"columns"`
	// Mapping is the index's "mappings" object, or a string holding it;
	// the default is inferred from the column types (see README.md).
	Mapping json.RawMessage `json:"mapping"`
	// Settings is the index's "settings" object; the default is one shard
	// and no replicas.
	Settings json.RawMessage `json:"settings"`
	// PageSize is the number of rows per query; the default is 1000.
	PageSize int `json:"page_size"`
	// Overlap is subtracted from the watermark that a later --resume reads
	// from, for tables whose updated_at comes from application clocks
	// rather than Postgres's now(): set it to the largest skew between
	// those clocks and Postgres. A duration such as "30s" or "5m";
	// default 0.
	Overlap Duration `json:"overlap"`
	// Paging is how a partition is read: "keyset" (pages of PageSize
	// rows, each its own statement, through an index on the id column),
	// "off" (one statement per partition: one snapshot, rows streamed as
	// Postgres sends them), "blocks" (pages of the table's physical
	// blocks, read in storage order by TID range scans: for tables larger
	// than memory, and for partitions read by separate processes; tables
	// and materialized views only, Postgres 14 or later), or "auto", the
	// default: keyset when the planner reads a page through an index on
	// the id column, off when a page would need a sort (a view or a table
	// without such an index).
	Paging string `json:"paging"`
}

// The values of Config.Paging.
const (
	PagingAuto   = "auto"
	PagingKeyset = "keyset"
	PagingOff    = "off"
	PagingBlocks = "blocks"
)

// Duration is a time.Duration written in JSON as a string such as "5m".
type Duration struct{ time.Duration }

// UnmarshalJSON reads a duration string ("90s", "5m") or 0.
func (d *Duration) UnmarshalJSON(b []byte) error {
	if string(b) == "0" || string(b) == "null" {
		d.Duration = 0
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("key \"overlap\": want a duration such as \"5m\", got %s", b)
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("key \"overlap\": want a duration such as \"5m\": %v", err)
	}
	d.Duration = v
	return nil
}

// ConfigError is a config the plugin cannot use. Its message names the
// plugin, the key (empty when the JSON itself is bad) and the problem, and never contains the DSN's password.
type ConfigError struct {
	Key     string
	Problem string
}

func (e *ConfigError) Error() string {
	if e.Key == "" {
		return "sqltable: config: " + e.Problem
	}
	return fmt.Sprintf("sqltable: config key %q: %s", e.Key, e.Problem)
}

// Unwrap makes errors.Is(err, sdk.ErrInvalidConfig) true, which the host
// and the SDK use to tell a bad config from a failing plugin.
func (e *ConfigError) Unwrap() error { return sdk.ErrInvalidConfig }

func configErr(key, format string, args ...any) error {
	return &ConfigError{Key: key, Problem: fmt.Sprintf(format, args...)}
}

// ParseConfig decodes a config section and checks what can be checked
// without a database: required keys, JSON objects, page size.
func ParseConfig(raw json.RawMessage) (Config, error) {
	var cfg Config
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&cfg); err != nil {
		return cfg, &ConfigError{Problem: err.Error()}
	}
	for _, req := range []struct{ key, val string }{
		{"dsn", cfg.DSN}, {"table", cfg.Table}, {"id_column", cfg.IDColumn},
	} {
		if strings.TrimSpace(req.val) == "" {
			return cfg, configErr(req.key, "missing; it is required")
		}
	}
	if cfg.Index == "" {
		cfg.Index = cfg.Table[strings.LastIndex(cfg.Table, ".")+1:]
	}
	var err error
	if cfg.Mapping, err = jsonObject("mapping", cfg.Mapping); err != nil {
		return cfg, err
	}
	if cfg.Settings, err = jsonObject("settings", cfg.Settings); err != nil {
		return cfg, err
	}
	if cfg.Overlap.Duration < 0 {
		return cfg, configErr("overlap", "%s is negative", cfg.Overlap.Duration)
	}
	switch {
	case cfg.PageSize < 0:
		return cfg, configErr("page_size", "%d is negative", cfg.PageSize)
	case cfg.PageSize == 0:
		cfg.PageSize = DefaultPageSize
	}
	switch cfg.Paging {
	case "":
		cfg.Paging = PagingAuto
	case PagingAuto, PagingKeyset, PagingOff, PagingBlocks:
	default:
		return cfg, configErr("paging", "%q is not one of auto, keyset, off, blocks", cfg.Paging)
	}
	return cfg, nil
}

// jsonObject accepts a JSON object, or a JSON string that holds one, and
// returns the object. Absent or null gives nil.
func jsonObject(key string, raw json.RawMessage) (json.RawMessage, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	if raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, configErr(key, "bad JSON string: %v", err)
		}
		raw = bytes.TrimSpace([]byte(s))
		if !json.Valid(raw) {
			return nil, configErr(key, "the string is not valid JSON")
		}
	}
	if raw[0] != '{' {
		return nil, configErr(key, "not a JSON object")
	}
	return raw, nil
}
