package host_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"time"

	"github.com/demhost/demhost/host"
	"github.com/demhost/demhost/host/engine"
	sdk "github.com/demhost/demhost/plugin-sdk"
	"github.com/demhost/demhost/registry"
)

// A host built by hand, as the CLI builds it from configuration: create a
// version, point the alias at it, and fill it from the source.
func ExampleHost() {
	ctx := context.Background()
	reg, err := registry.Open(ctx, ".demhost/registry.db")
	if err != nil {
		log.Fatal(err)
	}
	defer reg.Close()
	eng, err := engine.Open(ctx, engine.Config{URLs: []string{"http://127.0.0.1:9200"}})
	if err != nil {
		log.Fatal(err)
	}
	src := sdk.NewLocal("movies", newTestSource("movies", 100)) // any sdk.Source
	h, err := host.New(ctx, host.Options{
		Env: "qa1_", Registry: reg, Engine: eng, Sources: []host.Source{src},
		OnProgress: func(p host.Progress) { // the host reports; the caller draws
			fmt.Fprintf(os.Stderr, "%s-%d: %d indexed after %s\n", p.Index, p.Version, p.Counts.Indexed, p.Elapsed.Round(time.Second))
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	for _, step := range []func() ([]host.Result, error){
		func() ([]host.Result, error) { return h.Create(ctx, []string{"movies"}, host.CreateOptions{}) },
		func() ([]host.Result, error) { return h.Activate(ctx, []string{"movies"}) },
		func() ([]host.Result, error) { return h.Update(ctx, []string{"movies"}, host.UpdateOptions{}) },
	} {
		rs, err := step()
		for _, r := range rs {
			fmt.Println(r.Message)
		}
		if err != nil {
			log.Fatal(err)
		}
	}
}
