// Command hang is a test plugin that stops sending in the middle of a
// stream and never returns, ignoring cancellation.
package main

import (
	sdk "github.com/demhost/demhost/plugin-sdk"
	"github.com/demhost/demhost/plugin-sdk/internal/testsource"
)

func main() {
	sdk.Serve(&testsource.Source{Mangle: func(i int, _ *sdk.Doc) {
		if i == 500 {
			select {}
		}
	}}, sdk.WithBatchDocs(100))
}
