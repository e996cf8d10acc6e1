// Command demhost manages Elasticsearch and OpenSearch index schemas as
// versions. See the README, and package internal/cli for the exit codes.
package main

import (
	"os"

	"github.com/demhost/demhost/internal/cli"
)

func main() {
	os.Exit(cli.Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
