package registry

import (
	"strconv"
	"strings"
)

// ParseVersionName is the one reading of a version's name, "<base>-<N>":
// a user's word ("movies-3") or a physical index name without its
// environment prefix. N is positive and written as strconv.Itoa writes it,
// with no sign and no leading zero, which is how versions are named. For
// anything else ok is false.
func ParseVersionName(s string) (base string, n int, ok bool) {
	i := strings.LastIndexByte(s, '-')
	if i <= 0 {
		return "", 0, false
	}
	num := s[i+1:]
	n, err := strconv.Atoi(num)
	if err != nil || n <= 0 || strconv.Itoa(n) != num {
		return "", 0, false
	}
	return s[:i], n, true
}

// ResolveOption changes what Resolve accepts.
type ResolveOption func(*resolveOptions)

type resolveOptions struct {
	dropped bool
}

// WithDropped makes Resolve accept a dropped version too, for callers that
// read what happened to it (history). By default a dropped version is an
// unknown name.
func WithDropped() ResolveOption {
	return func(o *resolveOptions) { o.dropped = true }
}
