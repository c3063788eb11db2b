import NIOCore
import NIOEmbedded
import PlugboardTransport

/// A lean connection's handlers on an `EmbeddedChannel`, connected, for a test that plays the
/// peer: it writes the peer's bytes inbound and reads the connection's outbound.
func embeddedConnection(_ side: ConnectionHarness.Side) throws -> (EmbeddedChannel, ConnectionHarness) {
    let channel = EmbeddedChannel()
    let harness = try ConnectionHarness(side: side, channel: channel)
    try channel.connect(to: SocketAddress(unixDomainSocketPath: "/plugin.sock")).wait()
    return (channel, harness)
}
