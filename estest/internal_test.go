package estest

import (
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/demhost/demhost/host"
)

func TestSanitizeName(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"TestSearch", "tsearch"},
		{"TestSearch/movies", "tsearch_movies"},
		{"TestSearch/Movies_by#01", "tsearch_movies_by_01"},
		{"Test", "t"},
		{"ExampleEnv", "texampleenv"},
		{"TestÄrger/ü", "t_rger"},
		{"TestAVeryLongTestNameThatGoesOnAndOn/sub", "taverylongtestnamethatgo"},
		{"TestX/____y", "tx_y"},
		{"TestLongNameEndingInSeparat/x", "tlongnameendinginseparat"},
		{"TestLongNameEndingInSepara/x", "tlongnameendinginsepara"},
	}
	for _, tt := range tests {
		if got := sanitizeName(tt.in); got != tt.want {
			t.Errorf("sanitizeName(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestNewPrefixIsValidAndUnique(t *testing.T) {
	t.Parallel()
	shape := regexp.MustCompile(`^t[a-z0-9_]*_[0-9a-f]{6}_$`)
	seen := map[string]bool{}
	for _, name := range []string{"TestA", "TestA/b", "Test/_x_/..", "TestÄ/#1", strings.Repeat("TestLong", 40)} {
		for range 50 {
			p := newPrefix(name)
			if !shape.MatchString(p) {
				t.Errorf("newPrefix(%q) = %q, want shape %s", name, p, shape)
			}
			if err := host.ValidatePrefix(p); err != nil {
				t.Errorf("newPrefix(%q) = %q is not a valid host prefix: %v", name, p, err)
			}
			if seen[p] {
				t.Errorf("newPrefix(%q) returned %q twice", name, p)
			}
			seen[p] = true
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
		{"https://elastic@es:9200", "https://elastic:xxxxx@es:9200"},
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
