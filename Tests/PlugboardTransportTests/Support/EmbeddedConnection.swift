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

/// Everything the connection wrote so far.
func outbound(_ channel: EmbeddedChannel) -> [UInt8] {
    var bytes: [UInt8] = []
    while let data = try? channel.readOutbound(as: IOData.self) {
        if case .byteBuffer(let buffer) = data { bytes += buffer.readableBytesView }
    }
    return bytes
}
