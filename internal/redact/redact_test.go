package redact_test

import (
	"slices"
	"testing"

	"github.com/demhost/demhost/internal/redact"
)

func TestURL(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"http://127.0.0.1:9200", "http://127.0.0.1:9200"},
		{"https://elastic:s3cret@es:9200", "https://elastic:xxxxx@es:9200"},
		{"https://elastic@es:9200", "https://elastic@es:9200"},
		{"postgres://u:pw@h:5432/db?sslmode=disable", "postgres://u:xxxxx@h:5432/db?sslmode=disable"},
		{"postgres://demhost:demhost@127.0.0.1:5432/demhost", "postgres://demhost:xxxxx@127.0.0.1:5432/demhost"},
		{"postgres://u@h/db", "postgres://u@h/db"},
		{"postgresql://h/db?password=pw&sslmode=disable", "postgresql://h/db?password=xxxxx&sslmode=disable"},
		{"postgresql://h/db?sslmode=disable&password=pw", "postgresql://h/db?sslmode=disable&password=xxxxx"},
		// net/url cannot parse these; the password is found all the same.
		{"postgres://u:p w@h:x/db", "postgres://u:xxxxx@h:x/db"},
		{"postgres://demhost:s3cret@127.0.0.1:notaport/demhost", "postgres://demhost:xxxxx@127.0.0.1:notaport/demhost"},
		{"ftp://admin:pw@es:21", "ftp://admin:xxxxx@es:21"},
		{"host=db user=bob password=topsecret dbname=x", "host=db user=bob password=xxxxx dbname=x"},
		{"host=db password='top secret' dbname=x", "host=db password=xxxxx dbname=x"},
		{".demhost/registry.db", ".demhost/registry.db"},
		{"not a url", "not a url"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := redact.URL(tt.in); got != tt.want {
			t.Errorf("URL(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestWithoutUser(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"http://admin:s3cret@node:9200", "http://node:9200"},
		{"http://admin@node:9200/", "http://node:9200/"},
		{"http://node:9200", "http://node:9200"},
		{"http://node:9200/?password=pw", "http://node:9200/?password=xxxxx"},
		{"http://admin:s3 cret@node:x", "http://admin:xxxxx@node:x"},
	}
	for _, tt := range tests {
		if got := redact.WithoutUser(tt.in); got != tt.want {
			t.Errorf("WithoutUser(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestText(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		// A password equal to a name is hidden where it stands, and only there.
		{"connect to postgresql://app:app@db.internal/app failed: FATAL: role \"app\"",
			"connect to postgresql://app:xxxxx@db.internal/app failed: FATAL: role \"app\""},
		{"host=pg user=ops password=ops dbname=ops sslmode=require", "host=pg user=ops password=xxxxx dbname=ops sslmode=require"},
		{"https://reader:r3ad@es.example:443/_bulk: 403, and https://es.example again",
			"https://reader:xxxxx@es.example:443/_bulk: 403, and https://es.example again"},
		{"dial postgres://h/db?sslmode=disable&password=pw&x=1 failed", "dial postgres://h/db?sslmode=disable&password=xxxxx&x=1 failed"},
		{"authentication as admin failed", "authentication as admin failed"},
		{`dsn "password=s3 host=h" rejected`, `dsn "password=xxxxx host=h" rejected`},
		{"db_password=s3 set", "db_password=xxxxx set"},
	}
	for _, tt := range tests {
		if got := redact.Text(tt.in); got != tt.want {
			t.Errorf("Text(%q)\n  = %q\nwant %q", tt.in, got, tt.want)
		}
	}
}

func TestPasswords(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want []string
	}{
		{"postgres://u:p%40ss@h/db", []string{"p%40ss", "p@ss"}},
		{"postgres://h/db?password=a+b&x=1", []string{"a+b", "a b"}},
		{"postgres://u:p w@h:x/db", []string{"p w"}},
		{"host=h password='s3 cret'", []string{"s3 cret"}},
		{"postgres://u@h/db", nil},
		{".demhost/registry.db", nil},
	}
	for _, tt := range tests {
		if got := redact.Passwords(tt.in); !slices.Equal(got, tt.want) {
			t.Errorf("Passwords(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
