package registry

import (
	"context"
	"errors"
	"time"
)

// errTODO marks methods the registry issue fills in.
var errTODO = errors.New("registry: not implemented yet")

// Option configures Open.
type Option func(*options) error

type options struct {
	lockTimeout time.Duration
}

// WithLockTimeout sets how long Lock waits for a held lock. Default 30s.
func WithLockTimeout(d time.Duration) Option {
	return func(o *options) error {
		if d < 0 {
			return errors.New("lock timeout must not be negative")
		}
		o.lockTimeout = d
		return nil
	}
}

// Registry is an open registry database.
type Registry struct {
	opts options
}

// Open opens (and migrates) the registry at dsn: a postgres:// or
// postgresql:// URL, or else a SQLite file path (created with its parent
// folder when missing). Errors name the DSN with its password redacted.
func Open(ctx context.Context, dsn string, opts ...Option) (*Registry, error) {
	return nil, errTODO
}

// Close releases the database.
func (r *Registry) Close() error { return errTODO }

// Lock takes the lock of (env, index) for action actionID, waiting up to
// the lock timeout. It fails with a *LockedError naming the holder.
// Release the lock with (*Lock).Release, even after ctx is cancelled.
func (r *Registry) Lock(ctx context.Context, env, index string, actionID int64) (*Lock, error) {
	return nil, errTODO
}

// Lock is a held (env, index) lock.
type Lock struct{}

// Release frees the lock. It is safe to call more than once.
func (l *Lock) Release() error { return errTODO }

// CreateVersion allocates version N+1 of (env, index) with the given
// schema (canonicalised and hashed here), status building, and returns it.
// The physical name is env + index + "-" + N.
func (r *Registry) CreateVersion(ctx context.Context, env, index string, schema []byte, codebaseID string) (Version, error) {
	return Version{}, errTODO
}

// Versions lists the versions of (env, index), oldest first. Soft-deleted
// versions are included only when withDeleted is true.
func (r *Registry) Versions(ctx context.Context, env, index string, withDeleted bool) ([]Version, error) {
	return nil, errTODO
}

// Version returns version n of (env, index) (ErrNotFound when unknown).
func (r *Registry) Version(ctx context.Context, env, index string, n int) (Version, error) {
	return Version{}, errTODO
}

// SetVersionStatus sets a version's status.
func (r *Registry) SetVersionStatus(ctx context.Context, id int64, s VersionStatus) error {
	return errTODO
}

// DeleteVersion soft-deletes a version (sets DeletedAt). When it was the
// active version, the index is left with no active version.
func (r *Registry) DeleteVersion(ctx context.Context, id int64) error { return errTODO }

// Indexes lists the indexes of env that have at least one version ever.
func (r *Registry) Indexes(ctx context.Context, env string) ([]Index, error) {
	return nil, errTODO
}

// SetActive records version n as the active version of (env, index).
// n = 0 clears it.
func (r *Registry) SetActive(ctx context.Context, env, index string, n int) error {
	return errTODO
}

// Resolve turns a user's word into a base index or a version of env.
// extra are base names known elsewhere (the plugins' indexes, which may
// have no version yet). An unknown word gives an *UnknownNameError.
func (r *Registry) Resolve(ctx context.Context, env, word string, extra []string) (Target, error) {
	return Target{}, errTODO
}

// StartAction records a (with Status queued or in_progress) and returns
// its id. StartedAt defaults to now.
func (r *Registry) StartAction(ctx context.Context, a Action) (int64, error) {
	return 0, errTODO
}

// SetActionStatus moves an action to in_progress (after its lock is held).
func (r *Registry) SetActionStatus(ctx context.Context, id int64, s ActionStatus) error {
	return errTODO
}

// UpdateActionVersion records which version an action concerns, once known.
func (r *Registry) UpdateActionVersion(ctx context.Context, id int64, version int) error {
	return errTODO
}

// Progress records an action's running counts.
func (r *Registry) Progress(ctx context.Context, id int64, c Counts) error { return errTODO }

// AppendLog appends a line to an action's log.
func (r *Registry) AppendLog(ctx context.Context, id int64, line string) error { return errTODO }

// FinishAction ends an action with status (complete, failed or
// interrupted), its final counts and error text, and sets EndedAt.
func (r *Registry) FinishAction(ctx context.Context, id int64, s ActionStatus, c Counts, errText string) error {
	return errTODO
}

// Action returns one action.
func (r *Registry) Action(ctx context.Context, id int64) (Action, error) {
	return Action{}, errTODO
}

// History lists actions, newest first.
func (r *Registry) History(ctx context.Context, f ActionFilter) ([]Action, error) {
	return nil, errTODO
}

// SetCheckpoint stores the watermark of (env, index, version, source).
func (r *Registry) SetCheckpoint(ctx context.Context, c Checkpoint) error { return errTODO }

// GetCheckpoint returns the watermark; ok is false when there is none.
func (r *Registry) GetCheckpoint(ctx context.Context, env, index string, version int, source string) (c Checkpoint, ok bool, err error) {
	return Checkpoint{}, false, errTODO
}

// ResetEnv deletes every row of env except the version counters, so that
// version numbers are never reused after a reset. Other environments are
// untouched.
func (r *Registry) ResetEnv(ctx context.Context, env string) error { return errTODO }

// CanonicalSchema returns the canonical JSON of a schema (sorted keys, no
// insignificant whitespace, index name and prefix-bearing settings such as
// index.provided_name and index.uuid removed) and its hex SHA-256 hash.
func CanonicalSchema(schema []byte) (canonical []byte, hash string, err error) {
	return nil, "", errTODO
}
