package registry

import (
	"strings"

	"github.com/demhost/demhost/internal/redact"
)

// isPostgresDSN reports whether dsn names a Postgres server rather than a
// SQLite file.
func isPostgresDSN(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

// RedactDSN returns dsn with any password replaced by "xxxxx", for error
// messages and logs. A SQLite path is returned unchanged.
func RedactDSN(dsn string) string {
	if !isPostgresDSN(dsn) {
		return dsn
	}
	return redact.URL(dsn)
}

// scrubbedError keeps an error's chain for errors.Is/As while its text has
// the DSN's passwords removed.
type scrubbedError struct {
	msg string
	err error
}

func (e *scrubbedError) Error() string { return e.msg }
func (e *scrubbedError) Unwrap() error { return e.err }

// scrub returns err with every password of dsn removed from its text.
func scrub(err error, dsn string) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	changed := false
	for _, pw := range redact.Passwords(dsn) {
		if len(pw) > 0 && strings.Contains(msg, pw) {
			msg = strings.ReplaceAll(msg, pw, redact.Mask)
			changed = true
		}
	}
	if !changed {
		return err
	}
	return &scrubbedError{msg: msg, err: err}
}
