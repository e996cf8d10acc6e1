// Command chatty is a test plugin that logs a warning, an error and an
// info line in every style a plugin author might use, once before it
// serves (to its original stderr), and in Configure and Stream (where
// os.Stderr is go-plugin's relay). Each message names its style and when.
package main

import (
	"context"
	"fmt"
	"log"
	"log/slog"
	"os"

	"github.com/hashicorp/go-hclog"

	sdk "github.com/demhost/demhost/plugin-sdk"
	"github.com/demhost/demhost/plugin-sdk/internal/testsource"
)

// chatty logs in every style on Configure and Stream.
type chatty struct{ testsource.Source }

func (c *chatty) Configure(ctx context.Context, req *sdk.ConfigureRequest) (*sdk.ConfigureResponse, error) {
	logAll("configure")
	return c.Source.Configure(ctx, req)
}

func (c *chatty) Stream(ctx context.Context, req *sdk.StreamRequest, w sdk.Writer) error {
	logAll("stream")
	return c.Source.Stream(ctx, req, w)
}

func logAll(when string) {
	fmt.Fprintln(os.Stderr, "plain line "+when)
	log.New(os.Stderr, "", log.LstdFlags).Print("std log line " + when)
	fmt.Fprintln(os.Stderr, "[WARN] bracket warning "+when)
	fmt.Fprintln(os.Stderr, "[ERROR] bracket error "+when)
	hclog.Default().Warn("hclog default warning "+when, "key", "value")
	hclog.New(&hclog.LoggerOptions{Output: os.Stderr}).Error("hclog text error " + when)
	hclog.New(&hclog.LoggerOptions{Output: os.Stderr, JSONFormat: true}).Warn("hclog json warning "+when, "n", 3)
	slog.New(slog.NewTextHandler(os.Stderr, nil)).Warn("slog text warning "+when, "lookup", "t=No Such Film")
	slog.New(slog.NewJSONHandler(os.Stderr, nil)).Error("slog json error "+when, "n", 4)
	slog.New(slog.NewTextHandler(os.Stderr, nil)).Info("slog text info " + when)
	slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug})).Debug("slog text debug " + when)
}

func main() {
	logAll("main")
	sdk.Serve(&chatty{})
}
