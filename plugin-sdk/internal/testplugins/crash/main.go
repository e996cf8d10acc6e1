// Command crash is a test plugin that panics in the middle of a stream,
// after its first batches went out.
package main

import (
	sdk "github.com/demhost/demhost/plugin-sdk"
	"github.com/demhost/demhost/plugin-sdk/internal/testsource"
)

func main() {
	sdk.Serve(&testsource.Source{Mangle: func(i int, _ *sdk.Doc) {
		if i == 1000 {
			panic("boom at document 1000")
		}
	}}, sdk.WithBatchDocs(100))
}
