package registry_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/demhost/demhost/internal/testenv"
	"github.com/demhost/demhost/registry"
)

func contains(s, sub string) bool { return strings.Contains(s, sub) }

// readOnlyPath returns a registry path that cannot be created.
func readOnlyPath(t *testing.T) string {
	if os.Geteuid() == 0 { // root writes through permissions, but not into /proc
		return "/proc/demhost-registry-test/registry.db"
	}
	dir := filepath.Join(t.TempDir(), "ro")
	if err := os.Mkdir(dir, 0o555); err != nil {
		t.Fatal(err)
	}
	return filepath.Join(dir, "sub", "registry.db")
}

func TestOpenErrors(t *testing.T) {
	t.Parallel()
	fileAsFolder := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(fileAsFolder, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		dsn      string
		opts     []registry.Option
		mentions string // the error must contain it
	}{
		{"malformed DSN", "postgres://demhost:s3cret@127.0.0.1:notaport/demhost", nil,
			"postgres://demhost:xxxxx@127.0.0.1:notaport/demhost"},
		{"unknown DSN parameter", "postgresql://demhost:s3cret@127.0.0.1:5432/demhost?sslmode=bogus", nil,
			"postgresql://demhost:xxxxx@127.0.0.1:5432/demhost?sslmode=bogus"},
		{"unreachable server", "postgres://demhost:s3cret@127.0.0.1:1/demhost?sslmode=disable&connect_timeout=2", nil,
			"postgres://demhost:xxxxx@127.0.0.1:1/demhost"},
		{"password in the query", "postgres://127.0.0.1:1/demhost?sslmode=disable&password=s3cret&connect_timeout=2", nil,
			"password=xxxxx"},
		{"read-only path", readOnlyPath(t), nil, readOnlyPath(t)},
		{"parent is a file", filepath.Join(fileAsFolder, "registry.db"), nil, fileAsFolder},
		{"negative lock timeout", filepath.Join(t.TempDir(), "r.db"), []registry.Option{registry.WithLockTimeout(-1)},
			"lock timeout must not be negative"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r, err := registry.Open(testenv.Context(t), tc.dsn, tc.opts...)
			if err == nil {
				r.Close()
				t.Fatal("Open succeeded")
			}
			msg := err.Error()
			if !contains(msg, tc.mentions) || contains(msg, "s3cret") || strings.Count(msg, "\n") > 0 {
				t.Errorf("error %q: want one line that names %q and hides the password", msg, tc.mentions)
			}
		})
	}
}

func TestOpenReadOnlyFile(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root can write a read-only file")
	}
	path := filepath.Join(t.TempDir(), "registry.db")
	r := open(t, path)
	r.Close()
	if err := os.Chmod(path, 0o444); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(filepath.Dir(path), 0o555); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(filepath.Dir(path), 0o755) })
	ctx := testenv.Context(t)
	r, err := registry.Open(ctx, path)
	if err == nil {
		defer r.Close()
		_, err = r.CreateVersion(ctx, "", "movies", []byte(schemaA), "")
	}
	if err == nil || !contains(err.Error(), path) && !errors.Is(err, context.Canceled) {
		t.Errorf("read-only registry file: %v, want an error naming %s", err, path)
	}
}

func TestRedactDSN(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"postgres://u:pw@h:5432/db?sslmode=disable", "postgres://u:xxxxx@h:5432/db?sslmode=disable"},
		{"postgres://u@h/db", "postgres://u@h/db"},
		{"postgresql://h/db?password=pw&sslmode=disable", "postgresql://h/db?password=xxxxx&sslmode=disable"},
		{"postgres://u:p w@h:x/db", "postgres://u:xxxxx@h:x/db"},
		{".demhost/registry.db", ".demhost/registry.db"},
	}
	for _, tc := range tests {
		if got := registry.RedactDSN(tc.in); got != tc.want {
			t.Errorf("RedactDSN(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
