// Command good is a well-behaved test plugin serving testsource.Source.
package main

import (
	sdk "github.com/demhost/demhost/plugin-sdk"
	"github.com/demhost/demhost/plugin-sdk/internal/testsource"
)

func main() { sdk.Serve(&testsource.Source{}) }
