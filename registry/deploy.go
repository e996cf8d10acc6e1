package registry

import (
	"context"
	"encoding/json"
	"fmt"
)

// The kinds of a deploy (`demhost deploy`) and of its steps that no other
// command records. A deploy is a parent action; its steps are its
// children, and a step that creates, fills, activates or drops has that
// action's own kind.
const (
	// ActionDeploy is a deploy of a new version: the parent of its steps.
	ActionDeploy ActionKind = "deploy"
	// ActionGate checks a new version's count and probes before it is activated.
	ActionGate ActionKind = "gate"
	// ActionRestore restores a new version's load settings and waits for its health.
	ActionRestore ActionKind = "restore"
	// ActionRetain drops the versions beyond the configured number to keep.
	ActionRetain ActionKind = "retain"
)

// SetActionParams replaces an action's parameters (a JSON object) while it
// runs: a deploy records there what a later resume needs, such as the
// version it created.
func (r *Registry) SetActionParams(ctx context.Context, id int64, params json.RawMessage) error {
	if !json.Valid(params) {
		return fmt.Errorf("set parameters of action %d: not valid JSON", id)
	}
	if err := r.exec(ctx, `UPDATE actions SET params = ? WHERE id = ?`, string(params), id); err != nil {
		return fmt.Errorf("set parameters of action %d: %w", id, err)
	}
	return nil
}
