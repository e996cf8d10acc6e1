// Command omdb is the demhost source plugin that fetches movies from the
// OMDb API. See plugins/omdb/README.md.
package main

import (
	sdk "github.com/demhost/demhost/plugin-sdk"
	"github.com/demhost/demhost/plugins/omdb/omdb"
)

func main() { sdk.Serve(omdb.New()) }
