// Package redact owns one rule: how demhost hides the password of a URL or
// a DSN before it is shown. A password is found by its position (the
// userinfo of a URL, a password= query parameter, a password=… pair of a
// key=value DSN), never by its text, so a password equal to a user, host or
// database name leaves those names readable. config, registry, the engine
// adapters and estest all use it.
package redact

import (
	"net/url"
	"regexp"
	"strings"
)

// Mask replaces a password.
const Mask = "xxxxx"

var (
	// kvPassword is password=… (or db_password=…) of a key=value DSN or a
	// text, quoted or up to a space; a query's is queryPassword's.
	kvPassword = regexp.MustCompile(`(?i)((?:^|[^?&])password\s*=\s*)('[^']*'|\S+)`)
	// queryPassword is password=… in a URL's query, up to the next &.
	queryPassword = regexp.MustCompile(`(?i)((?:^|[?&])password=)([^&#\s]*)`)
	// urlPassword is the password of a URL written inside a text.
	urlPassword = regexp.MustCompile(`([a-zA-Z][a-zA-Z0-9+.-]*://[^:/@\s]*:)([^@\s]*)@`)
)

// URL returns s, one URL or DSN, with its passwords replaced by Mask: the
// userinfo's (scheme://user:xxxxx@host), a password query parameter, and
// the password of a key=value DSN (host=h password=xxxxx). Everything else,
// the user name included, is kept. A URL net/url cannot parse is redacted
// by position all the same. A string without a password comes back as is.
func URL(s string) string {
	if u, err := url.Parse(s); err == nil && u.Scheme != "" {
		changed := false
		if u.User != nil {
			if _, ok := u.User.Password(); ok {
				u.User = url.UserPassword(u.User.Username(), Mask)
				changed = true
			}
		}
		if q := queryPassword.ReplaceAllString(u.RawQuery, "${1}"+Mask); q != u.RawQuery {
			u.RawQuery, changed = q, true
		}
		if changed {
			return u.String()
		}
		if u.Opaque == "" {
			return s
		}
	}
	if scheme, rest, ok := strings.Cut(s, "://"); ok {
		if at := userinfoEnd(rest); at >= 0 {
			if user, _, hasPw := strings.Cut(rest[:at], ":"); hasPw {
				rest = user + ":" + Mask + rest[at:]
			}
		}
		return scheme + "://" + queryPassword.ReplaceAllString(rest, "${1}"+Mask)
	}
	return kvPassword.ReplaceAllString(s, "${1}"+Mask)
}

// userinfoEnd is the index of the @ that ends the userinfo of rest (a URL
// after its "://"), or -1. It is the last @ before the path, or, for a
// password with a raw / in it, the first @ at all.
func userinfoEnd(rest string) int {
	end := strings.IndexAny(rest, "/?#")
	if end < 0 {
		end = len(rest)
	}
	if at := strings.LastIndex(rest[:end], "@"); at >= 0 {
		return at
	}
	return strings.Index(rest, "@")
}

// WithoutUser returns the URL s without its user information (name and
// password): the server alone, for messages that name a server rather than
// an account. A URL net/url cannot parse is redacted as URL does.
func WithoutUser(s string) string {
	if u, err := url.Parse(s); err == nil && u.Scheme != "" && u.Opaque == "" {
		if u.User != nil {
			u.User = nil
			return URL(u.String())
		}
		return URL(s)
	}
	return URL(s)
}

// Text hides, anywhere in a text such as an error message, the passwords
// of the URLs written in it and of password=… pairs.
func Text(s string) string {
	s = urlPassword.ReplaceAllString(s, "${1}"+Mask+"@")
	s = queryPassword.ReplaceAllString(s, "${1}"+Mask)
	return kvPassword.ReplaceAllString(s, "${1}"+Mask)
}

// Passwords returns the passwords written in s, a URL or DSN, each as
// written and, when it differs, decoded, so that they can be scrubbed from
// texts that quote them (a driver's error, say).
func Passwords(s string) []string {
	var out []string
	add := func(raw string, unescape func(string) (string, error)) {
		if raw == "" {
			return
		}
		out = append(out, raw)
		if dec, err := unescape(raw); err == nil && dec != raw {
			out = append(out, dec)
		}
	}
	if _, rest, ok := strings.Cut(s, "://"); ok {
		if at := userinfoEnd(rest); at >= 0 {
			if _, pw, hasPw := strings.Cut(rest[:at], ":"); hasPw {
				add(pw, url.PathUnescape)
			}
		}
		for _, m := range queryPassword.FindAllStringSubmatch(rest, -1) {
			add(m[2], url.QueryUnescape)
		}
		return out
	}
	for _, m := range kvPassword.FindAllStringSubmatch(s, -1) {
		add(strings.Trim(m[2], "'"), func(v string) (string, error) { return v, nil })
	}
	return out
}
