// Package echoplugin is the go-plugin glue shared by echo-plugin and echo-host: the handshake,
// the plugin-set key, a GRPCPlugin that serves or dials plugboard.test.v1.Echo, and the tagging
// echo both serve through go-plugin's broker.
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

// Plugin serves the echo service Impl makes (plugin side) or hands out a *Client (host side).
// It has no net/rpc form.
type Plugin struct {
	plugin.NetRPCUnsupportedPlugin
	// Impl makes the echo service; it gets the plugin's broker, for services that call the host
	// back or serve extra connections.
	Impl func(broker *plugin.GRPCBroker) testv1.EchoServer
}

// Client is what Dispense returns on the host side: the generated stub plus the connection,
// so callers can watch its connectivity state, and the host's broker to the plugin.
type Client struct {
	testv1.EchoClient
	Conn   *grpc.ClientConn
	Broker *plugin.GRPCBroker
}

var _ plugin.GRPCPlugin = (*Plugin)(nil)

// GRPCServer registers the echo service on go-plugin's single gRPC server.
func (p *Plugin) GRPCServer(broker *plugin.GRPCBroker, s *grpc.Server) error {
	testv1.RegisterEchoServer(s, p.Impl(broker))
	return nil
}

// GRPCClient wraps the connection go-plugin dialled to the plugin, and keeps the broker.
func (p *Plugin) GRPCClient(_ context.Context, broker *plugin.GRPCBroker, c *grpc.ClientConn) (interface{}, error) {
	return &Client{EchoClient: testv1.NewEchoClient(c), Conn: c, Broker: broker}, nil
}

// PluginSet is the set both sides register: plugin side with impl, host side with nil.
func PluginSet(impl func(broker *plugin.GRPCBroker) testv1.EchoServer) plugin.PluginSet {
	return plugin.PluginSet{Name: &Plugin{Impl: impl}}
}

// TaggingEcho answers Get with "<Tag>: <text>" and the request's payload and sequence, so the
// caller sees which side's brokered server answered. It only serves Get; the streaming methods
// are Unimplemented.
type TaggingEcho struct {
	testv1.UnimplementedEchoServer
	Tag string
}

// Get answers with the tagged text.
func (e *TaggingEcho) Get(_ context.Context, req *testv1.EchoRequest) (*testv1.EchoResponse, error) {
	return &testv1.EchoResponse{Text: e.Tag + ": " + req.Text, Payload: req.Payload, Sequence: req.Sequence}, nil
}

// ServeTagging is a server factory for GRPCBroker.AcceptAndServe: a gRPC server with go-plugin's
// options for the brokered connection (its TLS under AutoMTLS) and a TaggingEcho with tag.
func ServeTagging(tag string) func([]grpc.ServerOption) *grpc.Server {
	return func(opts []grpc.ServerOption) *grpc.Server {
		server := grpc.NewServer(opts...)
		testv1.RegisterEchoServer(server, &TaggingEcho{Tag: tag})
		return server
	}
}
