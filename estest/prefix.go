package estest

import (
	"crypto/rand"
	"encoding/hex"
	"strings"
)

// maxNamePart bounds the part of a prefix taken from the test name, so
// prefixed names stay short in logs and far below the engines' 255-byte
// limit on index names.
const maxNamePart = 24

// sanitizeName turns a test name such as "TestSearch/movies" into the
// readable part of a prefix, "tsearch_movies": lower case, [a-z0-9_] only,
// no repeated or trailing underscores, at most maxNamePart bytes, starting
// with a letter (engines refuse names starting with '_', '-' or '+').
func sanitizeName(name string) string {
	name = strings.TrimPrefix(name, "Test")
	var b strings.Builder
	b.WriteByte('t')
	under := false
	for _, r := range strings.ToLower(name) {
		ok := r >= 'a' && r <= 'z' || r >= '0' && r <= '9'
		if !ok {
			if !under {
				b.WriteByte('_')
				under = true
			}
			continue
		}
		b.WriteRune(r)
		under = false
	}
	s := b.String()
	if len(s) > maxNamePart {
		s = s[:maxNamePart]
	}
	return strings.TrimRight(s, "_")
}

// newPrefix returns sanitizeName(testName) + "_" + 6 random hex digits
// + "_", e.g. "tsearch_movies_3f9a1c_".
func newPrefix(testName string) string {
	var buf [3]byte
	rand.Read(buf[:]) // never fails since Go 1.24: it crashes the program instead
	return sanitizeName(testName) + "_" + hex.EncodeToString(buf[:]) + "_"
}
