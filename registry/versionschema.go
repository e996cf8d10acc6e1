package registry

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// ActionUpdateSchema changes the mapping or settings of a version's index
// in place (demhost deploy of an "in place" plan) and records the new
// schema on the version.
const ActionUpdateSchema ActionKind = "update-schema"

// ErrSchemaChanged is returned by SetVersionSchema when the version's
// schema hash is no longer the one the caller read (another process
// changed it in between), or the version was dropped.
var ErrSchemaChanged = errors.New("the version's schema changed meanwhile")

// SetVersionSchema records schema (canonicalised and hashed here) on the
// version with id, after its physical index was changed in place, and
// returns the version. It changes nothing and returns ErrSchemaChanged
// unless the version is live and its hash is still oldHash.
func (r *Registry) SetVersionSchema(ctx context.Context, id int64, oldHash string, schema []byte) (Version, error) {
	canonical, hash, err := CanonicalSchema(schema)
	if err != nil {
		return Version{}, fmt.Errorf("set schema of version id %d: %w", id, err)
	}
	row := r.db.QueryRowContext(ctx, r.q(`UPDATE versions SET schema_json = ?, schema_hash = ?
		WHERE id = ? AND schema_hash = ? AND deleted_at IS NULL
		RETURNING `+versionColumns), string(canonical), hash, id, oldHash)
	v, err := scanVersion(row)
	if errors.Is(err, sql.ErrNoRows) {
		return Version{}, fmt.Errorf("set schema of version id %d: %w", id, ErrSchemaChanged)
	}
	if err != nil {
		return Version{}, fmt.Errorf("set schema of version id %d: %w", id, err)
	}
	return v, nil
}
