// Command good is a well-behaved test plugin serving testsource.Source.
// DEMHOST_TEST_BATCH_DOCS and DEMHOST_TEST_BATCH_BYTES, when set, tune its
// batches (for benchmarks).
package main

import (
	"os"
	"strconv"

	sdk "github.com/demhost/demhost/plugin-sdk"
	"github.com/demhost/demhost/plugin-sdk/internal/testsource"
)

func main() {
	var opts []sdk.ServeOpt
	if n, err := strconv.Atoi(os.Getenv("DEMHOST_TEST_BATCH_DOCS")); err == nil {
		opts = append(opts, sdk.WithBatchDocs(n))
	}
	if n, err := strconv.Atoi(os.Getenv("DEMHOST_TEST_BATCH_BYTES")); err == nil {
		opts = append(opts, sdk.WithBatchBytes(n))
	}
	sdk.Serve(&testsource.Source{}, opts...)
}
