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

/// An HTTP/2 frame: the 9-byte header, then `payload`.
func frame(_ type: UInt8, flags: UInt8 = 0, stream: UInt32 = 0, _ payload: [UInt8] = []) -> [UInt8] {
    let n = payload.count
    return [
        UInt8(n >> 16 & 0xff), UInt8(n >> 8 & 0xff), UInt8(n & 0xff), type, flags,
        UInt8(stream >> 24 & 0x7f), UInt8(stream >> 16 & 0xff), UInt8(stream >> 8 & 0xff), UInt8(stream & 0xff),
    ] + payload
}

/// Everything the connection wrote so far.
func outbound(_ channel: EmbeddedChannel) -> [UInt8] {
    var bytes: [UInt8] = []
    while let data = try? channel.readOutbound(as: IOData.self) {
        if case .byteBuffer(let buffer) = data { bytes += buffer.readableBytesView }
    }
    return bytes
}
