package omdb_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/demhost/demhost/plugins/omdb/omdb"
)

// OMDb answers a used-up daily limit with HTTP 401, like a bad key; the
// user is told the key is fine and the limit is reached.
func TestRequestLimitIsNotABadKey(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	s := configure(t, f, map[string]any{"api_key": limitedKey, "ids": []string{"tt1375666"}})
	_, err := streamAll(t, s, 1)
	if !errors.Is(err, omdb.ErrRequestLimit) || errors.Is(err, omdb.ErrInvalidKey) ||
		!strings.Contains(err.Error(), "limit") || strings.Contains(err.Error(), "check config key") || strings.Contains(err.Error(), limitedKey) {
		t.Fatalf("err = %v; want ErrRequestLimit that says the limit is reached, without the key", err)
	}
}

func TestNoneIsNoLanguage(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ in, want string }{
		{"None", "[]"},
		{"None, English", "[English]"},
		{"English, N/A", "[English]"},
		{"English", "[English]"},
	} {
		rec := strings.Replace(record("tt9000001", "Film 1"), `"Language":"English"`, `"Language":"`+tt.in+`"`, 1)
		if !strings.Contains(rec, tt.in) {
			t.Fatalf("the fixture has no Language field to replace: %s", rec)
		}
		m, err := omdb.ParseRecord([]byte(rec))
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Join(m.Languages, ","); "["+got+"]" != tt.want {
			t.Errorf("Language %q gave languages %q, want %s", tt.in, m.Languages, tt.want)
		}
	}
}

// A cached record older than cache_ttl is fetched again; a younger one is not.
func TestCacheExpires(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	dir := t.TempDir()
	cfg := map[string]any{"ids": []string{"tt1375666"}, "cache_dir": dir, "cache_ttl": "1h"}
	if _, err := streamAll(t, configure(t, f, cfg), 1); err != nil {
		t.Fatal(err)
	}
	if _, err := streamAll(t, configure(t, f, cfg), 1); err != nil {
		t.Fatal(err)
	}
	if n := f.count("i=tt1375666"); n != 1 {
		t.Fatalf("a fresh cached record was fetched again: %d requests", n)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.json"))
	if len(files) != 1 {
		t.Fatalf("cache holds %v", files)
	}
	old := time.Now().Add(-2 * time.Hour)
	if err := os.Chtimes(files[0], old, old); err != nil {
		t.Fatal(err)
	}
	if _, err := streamAll(t, configure(t, f, cfg), 1); err != nil {
		t.Fatal(err)
	}
	if n := f.count("i=tt1375666"); n != 2 {
		t.Fatalf("an expired cached record was not fetched again: %d requests", n)
	}
	// cache_ttl 0 keeps records for good.
	cfg["cache_ttl"] = "0"
	os.Chtimes(files[0], old.Add(-1000*time.Hour), old.Add(-1000*time.Hour))
	if _, err := streamAll(t, configure(t, f, cfg), 1); err != nil {
		t.Fatal(err)
	}
	if n := f.count("i=tt1375666"); n != 2 {
		t.Fatalf("cache_ttl 0 fetched a cached record again: %d requests", n)
	}
}
