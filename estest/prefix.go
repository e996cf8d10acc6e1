package estest

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"hash/crc32"
	"strconv"
	"strings"
	"time"
)

// A test's prefix is
//
//	<base> "t" <created> "_" [<name> "_"] <random><check> "_"
//
// e.g. "ttpau55_search_movies_3f9a1cf1b7_" with no base:
//
//   - base is WithBasePrefix or DEMHOST_TEST_PREFIX, "" by default;
//   - created is the Unix time in seconds, base 36, when New made it, so
//     that a later New can tell a prefix left by a killed test binary
//     from one in use (see sweep.go);
//   - name is the test's name, sanitized, at most maxNamePart bytes;
//   - random is 6 hex digits, so parallel tests never share a prefix;
//   - check is 4 hex digits of a checksum of everything before it, so a
//     name that merely looks like an estest prefix is never taken for one.
const (
	// maxNamePart bounds the part of a prefix taken from the test name, so
	// prefixed names stay short in logs and far below the engines'
	// 255-byte limit on index names.
	maxNamePart = 24
	randomLen   = 6
	checkLen    = 4
	// minCreated is the earliest creation time a prefix can carry
	// (2025-01-01): a name whose time decodes to earlier is no prefix of
	// estest's.
	minCreated = 1735689600
)

// sanitizeName turns a test name such as "TestSearch/movies" into the
// readable part of a prefix, "search_movies": lower case, [a-z0-9_] only,
// no leading, repeated or trailing underscores, at most maxNamePart bytes.
// It may be empty ("Test").
func sanitizeName(name string) string {
	name = strings.TrimPrefix(name, "Test")
	var b strings.Builder
	under := true // no leading underscore
	for _, r := range strings.ToLower(name) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
			under = false
			continue
		}
		if !under {
			b.WriteByte('_')
			under = true
		}
	}
	s := b.String()
	if len(s) > maxNamePart {
		s = s[:maxNamePart]
	}
	return strings.TrimRight(s, "_")
}

// newPrefix returns a fresh prefix under base for the test testName,
// created at now.
func newPrefix(base string, now time.Time, testName string) string {
	var buf [randomLen / 2]byte
	rand.Read(buf[:]) // never fails since Go 1.24: it crashes the program instead
	return makePrefix(base, now.Unix(), sanitizeName(testName), hex.EncodeToString(buf[:]))
}

// makePrefix assembles a prefix from its parts; random is randomLen hex
// digits.
func makePrefix(base string, created int64, name, random string) string {
	head := base + "t" + strconv.FormatInt(created, 36) + "_"
	if name != "" {
		head += name + "_"
	}
	head += random
	return head + check(head) + "_"
}

// check is the checksum that ends the random part of a prefix.
func check(head string) string {
	return fmt.Sprintf("%0*x", checkLen, crc32.ChecksumIEEE([]byte(head))&(1<<(4*checkLen)-1))
}

// parsePrefix reports whether name (an index or alias) starts with a
// prefix estest made under base, and returns that prefix and the time it
// was made. Only an exact match of the layout, including its checksum,
// counts.
func parsePrefix(base, name string) (prefix string, created time.Time, ok bool) {
	rest, found := strings.CutPrefix(name, base+"t")
	if !found {
		return "", time.Time{}, false
	}
	stamp, rest, found := strings.Cut(rest, "_")
	if !found || len(stamp) < 6 || len(stamp) > 7 || !isLowerAlnum(stamp) {
		return "", time.Time{}, false
	}
	secs, err := strconv.ParseInt(stamp, 36, 64)
	if err != nil || secs < minCreated {
		return "", time.Time{}, false
	}
	start := len(name) - len(rest) // where the name part or the random part begins
	// The test name may itself contain underscores and hex digits, so try
	// each place the random part could start; the checksum decides.
	const token = randomLen + checkLen
	for i := 0; i <= maxNamePart+1 && i+token < len(rest); i++ {
		if i > 0 && (rest[i-1] != '_' || i == 1) {
			continue
		}
		if rest[i+token] != '_' || !isLowerHex(rest[i:i+token]) {
			continue
		}
		if i > 0 && sanitizeName(rest[:i-1]) != rest[:i-1] {
			continue
		}
		head := name[:start+i+randomLen]
		if check(head) == rest[i+randomLen:i+token] {
			return name[:start+i+token+1], time.Unix(secs, 0), true
		}
	}
	return "", time.Time{}, false
}

func isLowerAlnum(s string) bool {
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

func isLowerHex(s string) bool {
	for _, r := range s {
		if !(r >= 'a' && r <= 'f' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}
