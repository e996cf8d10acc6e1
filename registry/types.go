package registry

import (
	"encoding/json"
	"fmt"
	"time"
)

// VersionStatus is the state of a version's physical index.
type VersionStatus string

const (
	VersionBuilding VersionStatus = "building"
	VersionReady    VersionStatus = "ready"
	VersionFailed   VersionStatus = "failed"
)

// Version is one physical index holding one schema.
type Version struct {
	ID         int64
	Env        string          // environment prefix, e.g. "qa1_" ("" for none)
	Index      string          // base name, e.g. "movies"
	Number     int             // N, strictly increasing per (Env, Index), never reused
	Name       string          // physical name: Env + Index + "-" + N
	Schema     json.RawMessage // canonical JSON of {"mappings":…,"settings":…}
	Hash       string          // hex SHA-256 of Schema
	CodebaseID string
	Status     VersionStatus
	CreatedAt  time.Time
	DeletedAt  *time.Time // set by a drop (soft delete)
	// LoadSettings, when not nil, are index settings a full load changed
	// (refresh, replicas) and not yet restored: a JSON object of their
	// original values, ready to PUT back.
	LoadSettings json.RawMessage
}

// Label is the version name users type: "movies-3".
func (v Version) Label() string { return fmt.Sprintf("%s-%d", v.Index, v.Number) }

// Index is one logical index of an environment.
type Index struct {
	Env    string
	Name   string
	Active int // the active version's number; 0 when none is active
}

// ActionKind names what an action did.
type ActionKind string

const (
	ActionCreate   ActionKind = "create"
	ActionActivate ActionKind = "activate"
	ActionUpdate   ActionKind = "update"
	ActionClear    ActionKind = "clear"
	ActionDrop     ActionKind = "drop"
	ActionReset    ActionKind = "reset"
	ActionMigrate  ActionKind = "migrate"
	// ActionRepair restores what a dead process left half-done (list --repair).
	ActionRepair ActionKind = "repair"
)

// ActionStatus is where an action is in its life.
type ActionStatus string

const (
	ActionQueued      ActionStatus = "queued"
	ActionInProgress  ActionStatus = "in_progress"
	ActionComplete    ActionStatus = "complete"
	ActionFailed      ActionStatus = "failed"
	ActionInterrupted ActionStatus = "interrupted"
	// ActionAbandoned is an action whose process died (SIGKILL, a crash,
	// a lost machine) before it could record how it ended. The registry
	// sets it, never a caller: see MarkAbandoned.
	ActionAbandoned ActionStatus = "abandoned"
)

// Counts are the document counts of an action.
type Counts struct {
	Indexed int64
	Failed  int64
	Deleted int64
	// Skipped are records the source reported skipping (sdk.Skip): not
	// sent, and not failures.
	Skipped int64
}

// Action is one recorded operation.
type Action struct {
	ID         int64
	ParentID   int64 // 0 when none
	Env        string
	Index      string // base name; "" for environment-wide actions (reset)
	Version    int    // 0 when the action concerns no single version
	Kind       ActionKind
	Status     ActionStatus
	StartedAt  time.Time
	EndedAt    *time.Time
	Argv       []string
	Host       string
	User       string
	CodebaseID string
	Counts
	Params json.RawMessage // JSON object, {} when none
	Log    string
	Error  string
	// Pid is the process that runs the action, on Host; StartAction sets
	// this process's id when it is 0.
	Pid int
	// Heartbeat is when the action's process last said it was alive (see
	// Heartbeat); nil for actions recorded before the registry kept it.
	Heartbeat *time.Time

	procStart string // tells Pid's process from a later one with that pid
	leaseMS   int64  // how long the heartbeat stays fresh
}

// Checkpoint is the watermark from which `update --resume` continues. A
// version has one only after a complete full fill.
type Checkpoint struct {
	Env       string
	Index     string
	Version   int
	Source    string // the plugin name
	Watermark time.Time
	// ActionID is the action that set it, and SetAt when (zero for
	// checkpoints written before the registry recorded them).
	ActionID int64
	SetAt    time.Time
}

// Target is what a user's word resolved to.
type Target struct {
	Index   string // base name
	Version int    // 0 when the word named the base index
}

// ActionFilter selects actions for History.
type ActionFilter struct {
	Env   string // always matched exactly: "" is the environment with no prefix
	Index string // "" matches every index of Env
	Limit int    // default 100
}
