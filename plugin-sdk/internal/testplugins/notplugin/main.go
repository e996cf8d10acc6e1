// Command notplugin is an ordinary program, not a plugin: it prints its
// usage and exits with status 2, as most CLIs do when run without args.
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Println("usage: notplugin FILE")
	fmt.Fprintln(os.Stderr, "notplugin: missing FILE")
	os.Exit(2)
}
