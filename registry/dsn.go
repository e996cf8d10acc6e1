package registry

import (
	"net/url"
	"regexp"
	"strings"
)

// isPostgresDSN reports whether dsn names a Postgres server rather than a
// SQLite file.
func isPostgresDSN(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

var (
	// userinfoPassword matches the password of a URL whose userinfo net/url
	// cannot parse (which is exactly when we need a fallback).
	userinfoPassword = regexp.MustCompile(`(://[^:/@]*:)([^@]*)(@)`)
	// queryPassword matches password=… in a query string.
	queryPassword = regexp.MustCompile(`((?:^|[?&])password=)([^&]*)`)
)

// RedactDSN returns dsn with any password replaced by "xxxxx", for error
// messages and logs. A SQLite path is returned unchanged.
func RedactDSN(dsn string) string {
	if !isPostgresDSN(dsn) {
		return dsn
	}
	if u, err := url.Parse(dsn); err == nil {
		if q := u.Query(); q.Has("password") {
			q.Set("password", "xxxxx")
			u.RawQuery = q.Encode()
		}
		return u.Redacted()
	}
	s := userinfoPassword.ReplaceAllString(dsn, "${1}xxxxx${3}")
	return queryPassword.ReplaceAllString(s, "${1}xxxxx")
}

// dsnPasswords returns the passwords written in dsn, so that they can be
// scrubbed from driver error texts.
func dsnPasswords(dsn string) []string {
	var pw []string
	if m := userinfoPassword.FindStringSubmatch(dsn); m != nil && m[2] != "" {
		pw = append(pw, m[2])
		if dec, err := url.PathUnescape(m[2]); err == nil && dec != m[2] {
			pw = append(pw, dec)
		}
	}
	for _, m := range queryPassword.FindAllStringSubmatch(dsn, -1) {
		if m[2] != "" {
			pw = append(pw, m[2])
			if dec, err := url.QueryUnescape(m[2]); err == nil && dec != m[2] {
				pw = append(pw, dec)
			}
		}
	}
	return pw
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
	for _, pw := range dsnPasswords(dsn) {
		if len(pw) > 0 && strings.Contains(msg, pw) {
			msg = strings.ReplaceAll(msg, pw, "xxxxx")
			changed = true
		}
	}
	if !changed {
		return err
	}
	return &scrubbedError{msg: msg, err: err}
}
