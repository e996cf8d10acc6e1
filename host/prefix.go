package host

import (
	"errors"
	"fmt"
	"strings"
)

// MaxPrefixLength bounds an environment prefix, leaving room in the
// engines' 255-byte index names for the base name and "-N".
const MaxPrefixLength = 64

// PrefixError is what ValidatePrefix returns: the prefix and why it cannot
// start index names.
type PrefixError struct {
	Prefix string
	Reason string // e.g. "must not start with -, _, + or ."
}

func (e *PrefixError) Error() string {
	return fmt.Sprintf("environment prefix %q %s", e.Prefix, e.Reason)
}

// ValidatePrefix is the one rule for an environment prefix, which config,
// New and estest all apply: usable at the start of index names on both
// Elasticsearch and OpenSearch. That is lower case (Unicode's, as the
// engines check it), none of \ / * ? " < > | , # : space or a control
// character, not starting with - _ + or ., not . or .., and at most
// MaxPrefixLength bytes. The empty prefix is valid. A failure is a
// *PrefixError.
func ValidatePrefix(p string) error {
	if p == "" {
		return nil
	}
	var reason string
	switch {
	case p == "." || p == "..":
		reason = "must not be . or .."
	case len(p) > MaxPrefixLength:
		reason = fmt.Sprintf("is %d bytes long; the limit is %d", len(p), MaxPrefixLength)
	default:
		if err := checkNameChars(p); err != nil {
			reason = err.Error()
		}
	}
	if reason != "" {
		return &PrefixError{Prefix: p, Reason: reason}
	}
	return nil
}

// checkNameChars checks what index names and prefixes share: the
// characters the engines refuse and the first character.
func checkNameChars(s string) error {
	if strings.ContainsAny(s[:1], "-_+.") {
		return errors.New("must not start with -, _, + or .")
	}
	if strings.ToLower(s) != s {
		return errors.New("has upper-case letters; index names must be lower case")
	}
	for _, r := range s {
		switch {
		case strings.ContainsRune(`\/*?"<>| ,#:`, r):
			return fmt.Errorf("must not contain %q", r)
		case r < 0x20 || r == 0x7f:
			return errors.New("must not contain control characters")
		}
	}
	return nil
}
