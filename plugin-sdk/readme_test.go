package sdk_test

import (
	"os"
	"strings"
	"testing"
)

// The README shows example/main.go verbatim; TestExamplePlugin runs it.
func TestReadmeShowsExample(t *testing.T) {
	t.Parallel()
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	example, err := os.ReadFile("example/main.go")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(readme), "```go\n"+string(example)+"```") {
		t.Error("README.md does not contain example/main.go verbatim; copy it again")
	}
}
