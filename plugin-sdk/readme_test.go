package sdk_test

import (
	"os"
	"strings"
	"testing"
)

// Both READMEs show example/main.go verbatim; TestExamplePlugin builds and
// runs it, so the plugin a reader copies is one that compiles and works.
func TestReadmeShowsExample(t *testing.T) {
	t.Parallel()
	example, err := os.ReadFile("example/main.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"README.md", "../README.md"} {
		readme, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(readme), "```go\n"+string(example)+"```") {
			t.Errorf("%s does not contain plugin-sdk/example/main.go verbatim; copy it again", path)
		}
	}
}
