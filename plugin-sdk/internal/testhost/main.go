// Command testhost is a minimal host for the SDK's process tests: it
// starts the plugin at os.Args[1] through sdk.Start, prints "pid N" (the
// process it started) and then streams its index "items" for ever, slowly,
// until it is killed.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	sdk "github.com/demhost/demhost/plugin-sdk"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: testhost PLUGIN")
		os.Exit(2)
	}
	ctx := context.Background()
	p, err := sdk.Start(ctx, "items", os.Args[1], sdk.WithLogOutput(io.Discard))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if _, err := p.Configure(ctx, &sdk.ConfigureRequest{Config: []byte(`{"docs": 1000000}`)}); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Printf("pid %d\n", p.Pid())
	for {
		err := p.Stream(ctx, &sdk.StreamRequest{Index: "items"}, func(*sdk.Batch) error {
			time.Sleep(50 * time.Millisecond)
			return nil
		})
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
}
