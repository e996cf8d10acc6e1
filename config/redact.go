package config

import (
	"net/url"
	"regexp"
	"strings"
)

// Mask replaces a secret in output.
const Mask = "xxxxx"

var kvPassword = regexp.MustCompile(`(?i)(password\s*=\s*)('[^']*'|\S+)`)

// RedactURL hides the password of a URL or DSN (postgres://u:p@h/db, or
// the key=value form "password=p"). Other strings come back unchanged.
func RedactURL(s string) string {
	if u, err := url.Parse(s); err == nil && u.User != nil {
		if _, ok := u.User.Password(); ok {
			u.User = url.UserPassword(u.User.Username(), Mask)
			return u.String()
		}
	}
	return kvPassword.ReplaceAllString(s, "${1}"+Mask)
}

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
		if u, err := url.Parse(s); err == nil && u.User != nil {
			if p, ok := u.User.Password(); ok {
				add(p)
				add(url.QueryEscape(p))
			}
		}
		if m := kvPassword.FindStringSubmatch(s); m != nil {
			add(strings.Trim(m[2], "'"))
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
	return redactURLs(s)
}

var urlWithPassword = regexp.MustCompile(`([a-zA-Z][a-zA-Z0-9+.-]*://[^:/@\s]*:)([^@\s]*)@`)

// redactURLs hides passwords of URLs embedded anywhere in s.
func redactURLs(s string) string {
	s = urlWithPassword.ReplaceAllString(s, "${1}"+Mask+"@")
	return kvPassword.ReplaceAllString(s, "${1}"+Mask)
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
