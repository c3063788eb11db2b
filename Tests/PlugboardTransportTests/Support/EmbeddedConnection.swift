import NIOCore
import NIOEmbedded
import PlugboardTransport

/// A lean connection's handlers on an `EmbeddedChannel`, connected, for a test that plays the
/// peer: it writes the peer's bytes inbound and reads the connection's outbound.
/// `configure` changes the connection's settings.
func embeddedConnection(
    _ side: ConnectionHarness.Side, _ configure: (inout UnixSocketTransport.Config) -> Void = { _ in }
) throws -> (EmbeddedChannel, ConnectionHarness) {
    var config = UnixSocketTransport.Config.defaults
    configure(&config)
    let channel = EmbeddedChannel()
    let harness = try ConnectionHarness(side: side, channel: channel, config: config)
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

/// What a connection did about a peer that broke HTTP/2: the GOAWAY among `frames` (nil if none),
/// whether the channel is still open, and its violation in words ("none" if it has none).
func brokenProtocolOutcome(
    _ frames: [Frame], _ channel: EmbeddedChannel, _ harness: ConnectionHarness
) -> (goAway: Frame?, stillOpen: Bool, violation: String) {
    let goAway = frames.first { $0.type == 0x7 }
    return (goAway, channel.isActive, harness.protocolViolation.map { "\($0)" } ?? "none")
}

/// A frame the connection wrote.
struct Frame {
    var type: UInt8
    var flags: UInt8
    var stream: UInt32
    var payload: [UInt8]

    /// A GOAWAY's or RST_STREAM's error code.
    var errorCode: UInt32? {
        let offset = self.type == 0x7 ? 4 : 0
        guard self.type == 0x7 || self.type == 0x3, self.payload.count >= offset + 4 else { return nil }
        return self.payload[offset..<offset + 4].reduce(0) { $0 << 8 | UInt32($1) }
    }

    static func all(in bytes: [UInt8]) -> [Frame] {
        var frames: [Frame] = []
        var index = 0
        while index + 9 <= bytes.count {
            let length = Int(bytes[index]) << 16 | Int(bytes[index + 1]) << 8 | Int(bytes[index + 2])
            guard index + 9 + length <= bytes.count else { break }
            let stream = bytes[index + 5..<index + 9].reduce(0) { $0 << 8 | UInt32($1) } & 0x7fff_ffff
            frames.append(
                Frame(
                    type: bytes[index + 3], flags: bytes[index + 4], stream: stream,
                    payload: Array(bytes[index + 9..<index + 9 + length])))
            index += 9 + length
        }
        return frames
    }
}
