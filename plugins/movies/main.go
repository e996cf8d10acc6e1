// Command movies is the demhost source plugin for the movies index: the
// 100-film fixture or N synthetic movies. `demhost-plugin-movies
// load-postgres --dsn DSN` loads the same data into a Postgres table instead.
// See plugins/movies/README.md.
package main

import (
	"context"
	"os"

	sdk "github.com/demhost/demhost/plugin-sdk"
	"github.com/demhost/demhost/plugins/movies/movies"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "load-postgres" {
		os.Exit(movies.LoadPostgresCommand(context.Background(), os.Args[2:], os.Stdout, os.Stderr))
	}
	sdk.Serve(movies.New())
}
