// Package sqltable is the library half of the bundled sqltable source
// plugin: it serves any Postgres table or view as one index, reading in
// bounded memory by keyset pagination on the id column, in disjoint
// partitions, incrementally by an updated-at column, and turning
// soft-deleted rows into deletes. Postgres itself renders each row as JSON
// (row_to_json), so no column is decoded in Go.
package sqltable

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	sdk "github.com/demhost/demhost/plugin-sdk"
	"github.com/jackc/pgx/v5"
)

// connectTimeout bounds Configure's connection check.
const connectTimeout = 10 * time.Second

// DefaultSettings is the index settings unless configured.
var DefaultSettings = json.RawMessage(`{"number_of_shards":1,"number_of_replicas":0}`)

// Source serves one Postgres table or view. Create it with New; call
// Configure first.
type Source struct {
	log      *slog.Logger
	cfg      Config
	connCfg  *pgx.ConnConfig
	rel      *relation
	idCol    column
	delBool  bool
	skipped  atomic.Int64
	mappings json.RawMessage

	plansMu sync.Mutex
	plans   map[planKey]*splitPlan // split points by update; see partition.go

	onQuery func(sql string, args []any) // sees every data statement; for tests
}

var _ sdk.Source = (*Source)(nil)

// Option configures New.
type Option func(*Source)

// WithLogger sends the source's reports (such as skipped rows) to l. The
// default writes text to stderr, which the host shows in its log.
func WithLogger(l *slog.Logger) Option {
	return func(s *Source) {
		if l != nil {
			s.log = l
		}
	}
}

// New returns an unconfigured source.
func New(opts ...Option) *Source {
	s := &Source{log: slog.New(slog.NewTextHandler(os.Stderr, nil))}
	for _, o := range opts {
		o(s)
	}
	return s
}

// SkippedNullIDs counts the rows skipped so far because their id was NULL.
func (s *Source) SkippedNullIDs() int64 { return s.skipped.Load() }

// Configure checks the config against the database: the DSN parses and
// connects, the table and every named column exist. Errors are
// *ConfigError values naming the key.
func (s *Source) Configure(ctx context.Context, req *sdk.ConfigureRequest) (*sdk.ConfigureResponse, error) {
	cfg, err := ParseConfig(req.Config)
	if err != nil {
		return nil, err
	}
	connCfg, err := pgx.ParseConfig(cfg.DSN)
	if err != nil {
		return nil, configErr("dsn", "cannot be parsed: %s", redact(err.Error(), ""))
	}
	cctx, cancel := context.WithTimeout(ctx, connectTimeout)
	defer cancel()
	conn, err := pgx.ConnectConfig(cctx, connCfg.Copy())
	if err != nil {
		return nil, configErr("dsn", "cannot connect to %s:%d database %q: %s",
			connCfg.Host, connCfg.Port, connCfg.Database, redact(err.Error(), connCfg.Password))
	}
	defer conn.Close(context.WithoutCancel(ctx))
	rel, err := describeTable(cctx, conn, cfg.Table)
	if err != nil {
		return nil, err
	}
	if err := checkColumns(&cfg, rel); err != nil {
		return nil, err
	}
	if cfg.Paging == PagingBlocks {
		if err := checkBlockPaging(cctx, conn, rel); err != nil {
			return nil, err
		}
	}
	s.cfg, s.connCfg, s.rel = cfg, connCfg, rel
	s.idCol, _ = rel.column(cfg.IDColumn)
	if cfg.DeletedColumn != "" {
		del, _ := rel.column(cfg.DeletedColumn)
		s.delBool = del.Base == "bool" && !strings.HasSuffix(del.Format, "]")
	}
	s.mappings = cfg.Mapping
	if s.mappings == nil {
		s.mappings = inferMappings(docColumns(&cfg, rel))
	}
	return &sdk.ConfigureResponse{}, nil
}

// redact removes password from msg, and any password pgx left in a URL.
func redact(msg, password string) string {
	if password != "" {
		msg = strings.ReplaceAll(msg, password, "xxxxx")
	}
	return msg
}

// Describe returns the one index: partitions always, since when
// updated_at_column is set, deletes when deleted_column is set.
func (s *Source) Describe(ctx context.Context, req *sdk.DescribeRequest) (*sdk.DescribeResponse, error) {
	if s.rel == nil {
		return nil, errors.New("sqltable: describe: not configured")
	}
	settings := s.cfg.Settings
	if settings == nil {
		settings = DefaultSettings
	}
	return &sdk.DescribeResponse{Indexes: []sdk.IndexSpec{{
		Name:     s.cfg.Index,
		Mappings: s.mappings,
		Settings: settings,
		Capabilities: sdk.Capabilities{
			Partitions: true,
			Since:      s.cfg.UpdatedAtColumn != "",
			Deletes:    s.cfg.DeletedColumn != "",
		},
	}}}, nil
}

// Mappings returns the mappings Describe reports (explicit or inferred),
// or nil before Configure.
func (s *Source) Mappings() json.RawMessage { return s.mappings }

func (s *Source) errorf(format string, args ...any) error {
	return fmt.Errorf("sqltable: index %s (table %s): "+format, append([]any{s.cfg.Index, s.cfg.Table}, args...)...)
}
