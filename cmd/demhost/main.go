// Command demhost manages Elasticsearch and OpenSearch index schemas as
// versions. See the README.
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "demhost: not built yet")
	os.Exit(2)
}
