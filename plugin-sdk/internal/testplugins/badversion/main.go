// Command badversion is a demhost plugin built for protocol version
// sdk.ProtocolVersion+1.
package main

import (
	"github.com/hashicorp/go-plugin"

	sdk "github.com/demhost/demhost/plugin-sdk"
	"github.com/demhost/demhost/plugin-sdk/internal/testsource"
)

func main() {
	ps, err := sdk.PluginMap(&testsource.Source{})
	if err != nil {
		panic(err)
	}
	hs := sdk.Handshake
	hs.ProtocolVersion = sdk.ProtocolVersion + 1
	plugin.Serve(&plugin.ServeConfig{HandshakeConfig: hs, Plugins: ps, GRPCServer: plugin.DefaultGRPCServer})
}
