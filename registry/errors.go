package registry

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

var (
	// ErrNotFound is returned when a version, index or action is unknown.
	ErrNotFound = errors.New("not found")
	// ErrLocked is returned (inside a *LockedError) by Lock when the lock
	// is still held by another action after the wait timeout.
	ErrLocked = errors.New("locked")
	// ErrSchemaTooNew is returned by Open when the database was migrated
	// by a newer demhost than this one.
	ErrSchemaTooNew = errors.New("registry schema is newer than this demhost")
	// ErrUnknownName is returned (inside an *UnknownNameError) by Resolve.
	ErrUnknownName = errors.New("unknown index or version")
	// ErrLockLost is returned by (*Lock).Err once a held lock is lost: its
	// Postgres session died, or its holder could not confirm it within
	// the lease. The holder must stop writing.
	ErrLockLost = errors.New("lock lost")
)

// LockedError names the action that holds a lock.
type LockedError struct {
	Env, Index string
	ActionID   int64
	Host       string
	StartedAt  time.Time
	Waited     time.Duration
	// LeaseLeft, when not 0, says the holder's session lock is gone but
	// its heartbeat is fresh (it may still be writing) for that long.
	LeaseLeft time.Duration
}

func (e *LockedError) Error() string {
	if e.LeaseLeft > 0 {
		return fmt.Sprintf("index %s%s is still fenced for action %d on host %s since %s: its registry connection is gone but it may still be writing for up to %s (waited %s); try again then, or raise lock_timeout",
			e.Env, e.Index, e.ActionID, e.Host, e.StartedAt.Format(time.RFC3339), e.LeaseLeft.Round(time.Millisecond), e.Waited.Round(time.Millisecond))
	}
	return fmt.Sprintf("index %s%s is locked by action %d on host %s since %s (waited %s); wait for it to end (demhost history shows its progress) or raise lock_timeout",
		e.Env, e.Index, e.ActionID, e.Host, e.StartedAt.Format(time.RFC3339), e.Waited.Round(time.Millisecond))
}

func (e *LockedError) Unwrap() error { return ErrLocked }

// UnknownNameError lists the names that are known.
type UnknownNameError struct {
	Name  string
	Known []string
}

func (e *UnknownNameError) Error() string {
	if len(e.Known) == 0 {
		return fmt.Sprintf("unknown index or version %q: no indexes are known", e.Name)
	}
	return fmt.Sprintf("unknown index or version %q; known: %s", e.Name, strings.Join(e.Known, ", "))
}

func (e *UnknownNameError) Unwrap() error { return ErrUnknownName }
