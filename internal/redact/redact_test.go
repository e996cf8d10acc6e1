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
		{"cannot open postgres://demhost:demhost@127.0.0.1:5432/demhost?sslmode=disable: role \"demhost\" does not exist",
			"cannot open postgres://demhost:xxxxx@127.0.0.1:5432/demhost?sslmode=disable: role \"demhost\" does not exist"},
		{"GET http://elastic:elastic@127.0.0.1:9200/: 401 for user elastic",
			"GET http://elastic:xxxxx@127.0.0.1:9200/: 401 for user elastic"},
		{"user=demhost password=demhost dbname=demhost", "user=demhost password=xxxxx dbname=demhost"},
		{"dial postgres://h/db?sslmode=disable&password=pw&x=1 failed", "dial postgres://h/db?sslmode=disable&password=xxxxx&x=1 failed"},
		{"authentication as admin failed", "authentication as admin failed"},
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
