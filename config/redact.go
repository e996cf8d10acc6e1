package config

import (
	"net/url"
	"regexp"
	"strings"

	"github.com/demhost/demhost/internal/redact"
)

// Mask replaces a secret in output.
const Mask = redact.Mask

// RedactURL hides the password of a URL or DSN by its position
// (postgres://u:xxxxx@h/db, ?password=xxxxx, or the key=value form
// "password=xxxxx"). Other strings come back unchanged.
func RedactURL(s string) string { return redact.URL(s) }

// Secrets returns the secret values of c that Redact replaces wherever
// their text appears: the engine password and API key, and the passwords
// inside the registry DSN and engine URLs. A secret whose text is also
// part of a name that is not secret (a user name, a host, a database: a
// password equal to the user name, say) is left out, so that messages
// keep those names; Redact still hides it where it stands as a password,
// by its position in a URL or a password=… pair.
func (c *Config) Secrets() []string {
	names := c.publicNames()
	var out []string
	add := func(s string) {
		if len(s) < 3 { // replacing very short strings would mangle output
			return
		}
		for _, n := range names {
			if strings.Contains(n, s) {
				return
			}
		}
		out = append(out, s)
	}
	add(c.Engine.Password)
	add(c.Engine.APIKey)
	for _, s := range append([]string{c.Registry}, c.Engine.URLs...) {
		for _, p := range redact.Passwords(s) {
			add(p)
			add(url.QueryEscape(p))
		}
	}
	return out
}

// publicNames are the parts of c's URLs and credentials that are not
// secret and may appear in messages.
func (c *Config) publicNames() []string {
	names := []string{c.Engine.Username}
	for _, s := range append([]string{c.Registry}, c.Engine.URLs...) {
		if u, err := url.Parse(s); err == nil && u.Scheme != "" {
			names = append(names, u.Hostname(), strings.TrimPrefix(u.Path, "/"))
			if u.User != nil {
				names = append(names, u.User.Username())
			}
		}
		for _, m := range kvPublic.FindAllStringSubmatch(s, -1) {
			names = append(names, strings.Trim(m[2], "'"))
		}
	}
	return names
}

var kvPublic = regexp.MustCompile(`(?i)\b(user|host|dbname)\s*=\s*('[^']*'|\S+)`)

// Redact hides every secret of c inside s, and the password of any URL
// in s. Use it on every error and line that may quote configuration.
func (c *Config) Redact(s string) string {
	if c != nil {
		for _, sec := range c.Secrets() {
			s = strings.ReplaceAll(s, sec, Mask)
		}
	}
	return redact.Text(s)
}

// Redacted returns a copy of c with its secrets replaced, for printing.
func (c Config) Redacted() Config {
	r := c
	if r.Engine.Password != "" {
		r.Engine.Password = Mask
	}
	if r.Engine.APIKey != "" {
		r.Engine.APIKey = Mask
	}
	r.Registry = RedactURL(r.Registry)
	r.Engine.URLs = nil
	for _, u := range c.Engine.URLs {
		r.Engine.URLs = append(r.Engine.URLs, RedactURL(u))
	}
	return r
}
