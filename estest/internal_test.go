package estest

import (
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/demhost/demhost/host"
)

func TestSanitizeName(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"TestSearch", "search"},
		{"TestSearch/movies", "search_movies"},
		{"TestSearch/Movies_by#01", "search_movies_by_01"},
		{"Test", ""},
		{"ExampleEnv", "exampleenv"},
		{"TestÄrger/ü", "rger"},
		{"Test/_x_/..", "x"},
		{"TestAVeryLongTestNameThatGoesOnAndOn/sub", "averylongtestnamethatgoe"},
		{"TestX/____y", "x_y"},
		{"TestLongNameEndingInSeparat/x", "longnameendinginseparat"}, // the cut leaves a trailing '_'
		{"TestLongNameEndingInSepar/x", "longnameendinginsepar_x"},
	}
	for _, tt := range tests {
		if got := sanitizeName(tt.in); got != tt.want {
			t.Errorf("sanitizeName(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestNewPrefixIsValidUniqueAndParses(t *testing.T) {
	t.Parallel()
	now := time.Now()
	shape := regexp.MustCompile(`^(|ci_|x-)t[0-9a-z]{6,7}_([a-z0-9_]+_)?[0-9a-f]{10}_$`)
	seen := map[string]bool{}
	for _, base := range []string{"", "ci_", "x-"} {
		for _, name := range []string{"TestA", "TestA/b", "Test", "Test/_x_/..", "TestÄ/#1", "TestX/3f9a1c7e02_y", strings.Repeat("TestLong", 40)} {
			for range 50 {
				p := newPrefix(base, now, name)
				if !shape.MatchString(p) || !strings.HasPrefix(p, base) {
					t.Errorf("newPrefix(%q, %q) = %q, want shape %s", base, name, p, shape)
				}
				if err := host.ValidatePrefix(p); err != nil {
					t.Errorf("newPrefix(%q, %q) = %q is not a valid host prefix: %v", base, name, p, err)
				}
				if seen[p] {
					t.Errorf("newPrefix(%q, %q) returned %q twice", base, name, p)
				}
				seen[p] = true
				got, created, ok := parsePrefix(base, p+"movies_3f9a1c7e02_x-1")
				if !ok || got != p || created.Unix() != now.Unix() {
					t.Errorf("parsePrefix(%q, %q+movies…) = %q, %v, %v; want %q, %v", base, p, got, created, ok, p, now.Unix())
				}
			}
		}
	}
	// The longest base and test name still fit the host's limit.
	long := newPrefix(strings.Repeat("b", maxBaseLen), time.Unix(1<<40, 0), strings.Repeat("TestLong", 40))
	if err := host.ValidatePrefix(long); err != nil {
		t.Errorf("the longest prefix %q: %v", long, err)
	}
}

func TestParsePrefixRefusesLookAlikes(t *testing.T) {
	t.Parallel()
	created := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC).Unix()
	real := makePrefix("ci_", created, "search", "3f9a1c")
	stamp := strconv.FormatInt(created, 36)
	flip := func(s string, i int) string { // another hex digit at i
		b := []byte(s)
		b[i] = "01"[(b[i]-'0'+1)%2]
		if b[i] == s[i] {
			b[i] = 'a'
		}
		return string(b)
	}
	tests := []struct{ name, base, in string }{
		{"other base", "ce_", real + "movies"},
		{"no base", "", real + "movies"},
		{"bad checksum", "ci_", flip(real, len(real)-2) + "movies"},
		{"other random part", "ci_", flip(real, len(real)-8) + "movies"},
		{"no checksum", "ci_", "ci_t" + stamp + "_search_3f9a1c_movies"},
		{"upper case", "ci_", strings.ToUpper(real) + "movies"},
		{"before 2025", "ci_", makePrefix("ci_", minCreated-1, "search", "3f9a1c") + "movies"},
		{"testenv's unique index", "", "t3f9a1c_movies"},
		{"dot index", "", "." + makePrefix("", created, "x", "3f9a1c")},
		{"double underscore in name", "ci_", makePrefix("ci_", created, "a__b", "3f9a1c") + "x"},
		{"truncated", "ci_", real[:len(real)-1]},
	}
	for _, tt := range tests {
		if p, _, ok := parsePrefix(tt.base, tt.in); ok {
			t.Errorf("%s: parsePrefix(%q, %q) took %q for an estest prefix", tt.name, tt.base, tt.in, p)
		}
	}
	if p, c, ok := parsePrefix("ci_", real+"movies"); !ok || p != real || c.Unix() != created {
		t.Errorf("parsePrefix of a real prefix = %q, %v, %v", p, c, ok)
	}
	// The examples in the documentation are real prefixes.
	for _, doc := range []struct{ base, prefix string }{
		{"", "ttpau55_search_movies_3f9a1cf1b7_"},
		{"", "ttpau55_search_3f9a1c5094_"},
		{"", "ttpau55_search_books_3f9a1c0bf5_"},
		{"", "ttpau55_search_dune_3f9a1cbd1d_"},
		{"ci_", "ci_ttpau55_search_3f9a1c3f44_"},
	} {
		if p, _, ok := parsePrefix(doc.base, doc.prefix+"movies-1"); !ok || p != doc.prefix {
			t.Errorf("the documented prefix %q does not parse: %q, %v", doc.prefix, p, ok)
		}
	}
}

func TestResolveNaming(t *testing.T) {
	t.Parallel()
	apply := func(opts ...Option) options {
		var o options
		for _, opt := range opts {
			if err := opt(&o); err != nil {
				t.Fatalf("option: %v", err)
			}
		}
		return o
	}
	tests := []struct {
		name    string
		opts    []Option
		env     map[string]string
		want    naming
		wantErr string
	}{
		{name: "defaults", want: naming{sweepAge: time.Hour}},
		{name: "env", env: map[string]string{EnvPrefix: "ci_", EnvSweepAge: "90m"},
			want: naming{base: "ci_", sweepAge: 90 * time.Minute}},
		{name: "options win", opts: []Option{WithBasePrefix("ab-"), WithSweepAge(time.Second)},
			env:  map[string]string{EnvPrefix: "ci_", EnvSweepAge: "90m"},
			want: naming{base: "ab-", sweepAge: time.Second}},
		{name: "empty option wins too", opts: []Option{WithBasePrefix("")}, env: map[string]string{EnvPrefix: "ci_"},
			want: naming{sweepAge: time.Hour}},
		{name: "sweep off", env: map[string]string{EnvSweepAge: "0"}, want: naming{}},
		{name: "bad env prefix", env: map[string]string{EnvPrefix: "CI_"}, wantErr: `DEMHOST_TEST_PREFIX="CI_" cannot start index names`},
		{name: "env prefix with a star", env: map[string]string{EnvPrefix: "ci*"}, wantErr: "DEMHOST_TEST_PREFIX"},
		{name: "env prefix starting with _", env: map[string]string{EnvPrefix: "_ci"}, wantErr: "DEMHOST_TEST_PREFIX"},
		{name: "bad env prefix, good option", opts: []Option{WithBasePrefix("ci_")}, env: map[string]string{EnvPrefix: "CI_"},
			want: naming{base: "ci_", sweepAge: time.Hour}},
		{name: "bad age", env: map[string]string{EnvSweepAge: "an hour"}, wantErr: `DEMHOST_TEST_SWEEP_AGE="an hour" is not a duration`},
		{name: "negative age", env: map[string]string{EnvSweepAge: "-1h"}, wantErr: "DEMHOST_TEST_SWEEP_AGE"},
	}
	for _, tt := range tests {
		got, err := resolveNaming(apply(tt.opts...), func(k string) string { return tt.env[k] })
		switch {
		case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
			t.Errorf("%s: err = %v, want one containing %q", tt.name, err, tt.wantErr)
		case tt.wantErr == "" && (err != nil || got != tt.want):
			t.Errorf("%s: resolveNaming = %+v, %v; want %+v", tt.name, got, err, tt.want)
		}
	}
	for _, bad := range []Option{WithBasePrefix("CI_"), WithBasePrefix(strings.Repeat("x", maxBaseLen+1)), WithSweepAge(-time.Second)} {
		var o options
		if err := bad(&o); err == nil || !strings.Contains(err.Error(), "estest.With") {
			t.Errorf("a bad option gave %v, want an error naming the option", err)
		}
	}
}

func TestDecide(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		optURL     string
		env        map[string]string
		docker     bool
		want       plan
		wantPinged bool
	}{
		{name: "nothing", want: plan{From: fromNowhere}, wantPinged: true},
		{name: "nothing in CI", env: map[string]string{"CI": "true"},
			want: plan{From: fromNowhere, Required: true}, wantPinged: true},
		{name: "nothing, required", env: map[string]string{EnvRequireEngine: "1"},
			want: plan{From: fromNowhere, Required: true}, wantPinged: true},
		{name: "require must be 1", env: map[string]string{EnvRequireEngine: "yes"},
			want: plan{From: fromNowhere}, wantPinged: true},
		{name: "url", env: map[string]string{EnvEngineURL: "http://es:9200"}, docker: true,
			want: plan{From: fromURL, URL: "http://es:9200"}},
		{name: "url in CI", env: map[string]string{EnvEngineURL: "http://es:9200", "CI": "1"},
			want: plan{From: fromURL, URL: "http://es:9200", Required: true}},
		{name: "option wins over env", optURL: "http://os:9201", env: map[string]string{EnvEngineURL: "http://es:9200"},
			want: plan{From: fromURL, URL: "http://os:9201"}},
		{name: "docker, default image", docker: true,
			want: plan{From: fromDocker, Image: DefaultImage}, wantPinged: true},
		{name: "docker, chosen image", docker: true,
			env:  map[string]string{EnvEngineImage: "opensearchproject/opensearch:2.19.1"},
			want: plan{From: fromDocker, Image: "opensearchproject/opensearch:2.19.1"}, wantPinged: true},
		{name: "docker forbidden", docker: true, env: map[string]string{EnvDocker: "0"},
			want: plan{From: fromNowhere}},
		{name: "docker forbidden in CI", docker: true, env: map[string]string{EnvDocker: "0", "CI": "1"},
			want: plan{From: fromNowhere, Required: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			pinged := false
			got := decide(tt.optURL, func(k string) string { return tt.env[k] },
				func() bool { pinged = true; return tt.docker })
			if got != tt.want {
				t.Errorf("decide = %+v, want %+v", got, tt.want)
			}
			if pinged != tt.wantPinged {
				t.Errorf("docker pinged = %v, want %v", pinged, tt.wantPinged)
			}
		})
	}
}

func TestSplitImage(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, repo, tag string }{
		{DefaultImage, "docker.elastic.co/elasticsearch/elasticsearch", "8.19.7"},
		{"opensearchproject/opensearch:2.19.1", "opensearchproject/opensearch", "2.19.1"},
		{"elasticsearch", "elasticsearch", "latest"},
		{"localhost:5000/es", "localhost:5000/es", "latest"},
		{"localhost:5000/es:7.17", "localhost:5000/es", "7.17"},
	}
	for _, tt := range tests {
		repo, tag := splitImage(tt.in)
		if repo != tt.repo || tag != tt.tag {
			t.Errorf("splitImage(%q) = %q, %q, want %q, %q", tt.in, repo, tag, tt.repo, tt.tag)
		}
	}
}

func TestContainerEnv(t *testing.T) {
	t.Parallel()
	tests := []struct{ repo, want, notWant string }{
		{"docker.elastic.co/elasticsearch/elasticsearch", "xpack.security.enabled=false", "DISABLE_SECURITY_PLUGIN=true"},
		{"opensearchproject/opensearch", "DISABLE_SECURITY_PLUGIN=true", "xpack.security.enabled=false"},
	}
	for _, tt := range tests {
		env := containerEnv(tt.repo)
		if !slices.Contains(env, tt.want) || slices.Contains(env, tt.notWant) {
			t.Errorf("containerEnv(%q) = %q, want %q and not %q", tt.repo, env, tt.want, tt.notWant)
		}
		if !slices.Contains(env, "discovery.type=single-node") {
			t.Errorf("containerEnv(%q) = %q, not single-node", tt.repo, env)
		}
	}
}

func TestRedact(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"http://127.0.0.1:9200", "http://127.0.0.1:9200"},
		{"https://elastic:s3cret@es:9200", "https://elastic:xxxxx@es:9200"},
		{"https://elastic@es:9200", "https://elastic@es:9200"},
		{"not a url", "not a url"},
	}
	for _, tt := range tests {
		if got := redact(tt.in); got != tt.want {
			t.Errorf("redact(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestDecodeTotal(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    int64
		wantErr bool
	}{
		{`{"value":42,"relation":"eq"}`, 42, false},
		{`7`, 7, false},
		{``, 0, false},
		{`"x"`, 0, true},
	}
	for _, tt := range tests {
		got, err := decodeTotal([]byte(tt.in))
		if got != tt.want || (err != nil) != tt.wantErr {
			t.Errorf("decodeTotal(%s) = %d, %v; want %d, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}
