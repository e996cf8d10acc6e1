// Command garbage is a test plugin that sends malformed documents:
// document 250 has a source that is not a JSON object and document 260 an
// empty id.
package main

import (
	sdk "github.com/demhost/demhost/plugin-sdk"
	"github.com/demhost/demhost/plugin-sdk/internal/testsource"
)

func main() {
	sdk.Serve(&testsource.Source{Mangle: func(i int, d *sdk.Doc) {
		switch i {
		case 250:
			d.Op, d.Source = sdk.OpIndex, []byte(`["not", "an", "object"]`)
		case 260:
			d.ID = ""
		}
	}}, sdk.WithBatchDocs(100))
}
