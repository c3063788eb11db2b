// Package echoplugin is the go-plugin glue shared by echo-plugin and echo-host: the handshake,
// the plugin-set key and a GRPCPlugin that serves or dials plugboard.test.v1.Echo.
package echoplugin

import (
	"context"

	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	testv1 "plugboard/test/v1"
)

// Handshake is the configuration both sides must agree on. Plugboard's Swift host and plugin
// use the same values, so Go and Swift peers can be mixed freely.
var Handshake = plugin.HandshakeConfig{
	ProtocolVersion:  1,
	MagicCookieKey:   "PLUGBOARD_PLUGIN",
	MagicCookieValue: "5b7c1d0e-plugboard",
}

// Name is the plugin-set key. In gRPC mode it never goes over the wire; it only selects the
// local glue in Dispense.
const Name = "echo"

// Plugin serves Impl (plugin side) or hands out a *Client (host side). It has no net/rpc form.
type Plugin struct {
	plugin.NetRPCUnsupportedPlugin
	Impl testv1.EchoServer
}

// Client is what Dispense returns on the host side: the generated stub plus the connection,
// so callers can watch its connectivity state.
type Client struct {
	testv1.EchoClient
	Conn *grpc.ClientConn
}

var _ plugin.GRPCPlugin = (*Plugin)(nil)

// GRPCServer registers the echo service on go-plugin's single gRPC server.
func (p *Plugin) GRPCServer(_ *plugin.GRPCBroker, s *grpc.Server) error {
	testv1.RegisterEchoServer(s, p.Impl)
	return nil
}

// GRPCClient wraps the connection go-plugin dialled to the plugin.
func (p *Plugin) GRPCClient(_ context.Context, _ *plugin.GRPCBroker, c *grpc.ClientConn) (interface{}, error) {
	return &Client{EchoClient: testv1.NewEchoClient(c), Conn: c}, nil
}

// PluginSet is the set both sides register: plugin side with impl, host side with nil.
func PluginSet(impl testv1.EchoServer) plugin.PluginSet {
	return plugin.PluginSet{Name: &Plugin{Impl: impl}}
}
