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

// Secrets returns the secret values of c: the engine password and API
// key, and the passwords inside the registry DSN and engine URLs.
func (c *Config) Secrets() []string {
	var out []string
	add := func(s string) {
		if len(s) >= 3 { // replacing very short strings would mangle output
			out = append(out, s)
		}
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
