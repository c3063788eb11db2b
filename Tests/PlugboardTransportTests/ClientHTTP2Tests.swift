import GRPCCore
import NIOCore
import NIOEmbedded
import PlugboardTestSupport
import PlugboardTransport
import Testing

/// What a client connection's own HTTP/2 (`HTTP2Codec`) does that a server's doesn't: its preface,
/// the server's concurrency limit, GOAWAY, and a plugin that breaks the protocol.
@Suite("A client connection's HTTP/2")
struct ClientHTTP2Tests {
    static let magic = Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8)
    /// The server's SETTINGS: MAX_CONCURRENT_STREAMS `streams`.
    static func settings(maxConcurrentStreams streams: UInt32) -> [UInt8] {
        http2Frame(
            0x4,
            [
                0, 3, UInt8(streams >> 24), UInt8(streams >> 16 & 0xff), UInt8(streams >> 8 & 0xff),
                UInt8(streams & 0xff),
            ])
    }

    /// The frames the connection wrote since the last look, its preface's magic left out.
    static func written(_ channel: EmbeddedChannel) -> [Frame] {
        var bytes = outbound(channel)
        if bytes.starts(with: Self.magic) { bytes.removeFirst(Self.magic.count) }
        return Frame.all(in: bytes)
    }

    /// A client connection to a server that takes `serverLimit` streams at once, which opened
    /// three calls; `opened` is the streams whose HEADERS went out.
    static func threeStreams(
        serverLimit: UInt32
    ) throws -> (channel: EmbeddedChannel, harness: ConnectionHarness, opened: [UInt32]) {
        let (channel, harness) = try embeddedConnection(.client)
        try channel.writeInbound(ByteBuffer(bytes: Self.settings(maxConcurrentStreams: serverLimit)))
        channel.embeddedEventLoop.run()
        for _ in 0..<3 { harness.openStream() }
        channel.embeddedEventLoop.run()
        return (channel, harness, Self.written(channel).filter { $0.type == 0x1 }.map(\.stream))
    }

    @Test("the preface: the client's magic, then SETTINGS that disable server push")
    func preface() throws {
        let (channel, _) = try embeddedConnection(.client)
        channel.embeddedEventLoop.run()
        let bytes = outbound(channel)
        #expect(bytes.starts(with: Self.magic))
        let settings = try #require(Frame.all(in: Array(bytes.dropFirst(Self.magic.count))).first)
        #expect(settings.type == 0x4 && settings.flags == 0)
        let pairs = stride(from: 0, to: settings.payload.count, by: 6).map { Array(settings.payload[$0..<$0 + 6]) }
        #expect(pairs.contains([0, 2, 0, 0, 0, 0]), "SETTINGS_ENABLE_PUSH 0")
        _ = try? channel.finish()
    }

    @Test("streams beyond the server's MAX_CONCURRENT_STREAMS wait, and open in order as others close")
    func streamsWaitForTheServersLimit() throws {
        let (channel, harness, opened) = try Self.threeStreams(serverLimit: 1)
        #expect(opened == [1], "stream 3 and 5 wait")

        try channel.writeInbound(ByteBuffer(bytes: http2Frame(0x3, stream: 1, [0, 0, 0, 8])))  // RST_STREAM CANCEL
        channel.embeddedEventLoop.run()
        #expect(Self.written(channel).filter { $0.type == 0x1 }.map(\.stream) == [3])
        #expect(harness.statuses.map { $0?.code } == [.cancelled, nil, nil])

        try channel.writeInbound(ByteBuffer(bytes: http2Frame(0x3, stream: 3, [0, 0, 0, 8])))
        channel.embeddedEventLoop.run()
        #expect(Self.written(channel).filter { $0.type == 0x1 }.map(\.stream) == [5])
        #expect(channel.isActive && harness.protocolViolation == nil)
        _ = try? channel.finish()
    }

    @Test("a call cancelled while others wait: its RST_STREAM goes before the next stream's HEADERS")
    func cancelWhileOthersWait() throws {
        let (channel, harness, opened) = try Self.threeStreams(serverLimit: 1)
        #expect(opened == [1])
        harness.cancelStream(0)
        channel.embeddedEventLoop.run()
        let frames = Self.written(channel).filter { $0.type == 0x1 || $0.type == 0x3 }
        #expect(
            frames.map { "\($0.type == 0x3 ? "RST_STREAM" : "HEADERS") \($0.stream)" } == ["RST_STREAM 1", "HEADERS 3"])
        _ = try? channel.finish()
    }

    @Test("the last stream id (2^31-1) opens; the call after it is refused as retryable, for a new connection")
    func streamIDsRunOut() throws {
        let (channel, harness) = try embeddedConnection(.client)
        try channel.writeInbound(ByteBuffer(bytes: http2Frame(0x4)))
        channel.embeddedEventLoop.run()
        harness.skipStreamIDs(to: Int32.max)
        harness.openStream()
        harness.openStream()
        channel.embeddedEventLoop.run()
        #expect(Self.written(channel).filter { $0.type == 0x1 }.map(\.stream) == [UInt32(Int32.max)])
        let statuses = harness.statuses
        #expect(statuses[0] == nil)
        #expect(statuses[1]?.code == .unavailable && statuses[1]?.message.contains("retry") == true)
        _ = try? channel.finish()
    }

    @Test("a graceful GOAWAY (last id 2^31-1) fails the streams still waiting to open as retryable")
    func gracefulGoAwayWithStreamsWaiting() throws {
        let (channel, harness, _) = try Self.threeStreams(serverLimit: 1)
        try channel.writeInbound(ByteBuffer(bytes: http2Frame(0x7, [0x7f, 0xff, 0xff, 0xff, 0, 0, 0, 0])))
        channel.embeddedEventLoop.run()
        let statuses = harness.statuses
        #expect(statuses[0] == nil, "stream 1 goes on")
        #expect(statuses.dropFirst().map { $0?.code } == [.unavailable, .unavailable])
        _ = try? channel.finish()
    }

    @Test("GOAWAY fails the streams above its last id as retryable, those waiting to open too, and opens none")
    func goAway() throws {
        let (channel, harness, opened) = try Self.threeStreams(serverLimit: 2)
        #expect(opened == [1, 3])

        try channel.writeInbound(ByteBuffer(bytes: http2Frame(0x7, [0, 0, 0, 1, 0, 0, 0, 0])))  // last 1, NO_ERROR
        channel.embeddedEventLoop.run()
        let statuses = harness.statuses
        #expect(statuses[0] == nil, "stream 1 goes on")
        for status in statuses.dropFirst() {
            #expect(
                status?.code == .unavailable && status?.message.contains("retry") == true,
                "\(String(describing: status))")
        }
        try channel.writeInbound(ByteBuffer(bytes: http2Frame(0x3, stream: 1, [0, 0, 0, 8])))
        channel.embeddedEventLoop.run()
        #expect(!Self.written(channel).contains { $0.type == 0x1 }, "stream 5 never opens")
        _ = try? channel.finish()
    }

    enum Violation: String, CaseIterable, CustomTestStringConvertible {
        case notSettingsFirst, pushPromise, headersOnUnopenedStream, dataOnUnopenedStream

        var testDescription: String { self.rawValue }

        /// The server's bytes; stream 1 is open.
        var frames: [UInt8] {
            switch self {
            case .notSettingsFirst: http2Frame(0x6, [1, 2, 3, 4, 5, 6, 7, 8])
            case .pushPromise: http2Frame(0x4) + http2Frame(0x5, flags: 0x4, stream: 1, [0, 0, 0, 2])
            case .headersOnUnopenedStream: http2Frame(0x4) + http2Frame(0x1, flags: 0x4, stream: 3, [0x88])
            case .dataOnUnopenedStream: http2Frame(0x4) + http2Frame(0x0, stream: 3, [1, 2, 3])
            }
        }

        var reason: String {
            switch self {
            case .notSettingsFirst: "its first frame wasn't SETTINGS"
            case .pushPromise: "it sent PUSH_PROMISE, which this client disabled"
            case .headersOnUnopenedStream: "it sent HEADERS on stream 3, a stream never opened"
            case .dataOnUnopenedStream: "it sent DATA on stream 3, a stream never opened"
            }
        }
    }

    @Test(
        "a server that breaks HTTP/2 gets GOAWAY PROTOCOL_ERROR, the connection closes, and the call's error says what it did",
        arguments: Violation.allCases)
    func violation(_ violation: Violation) throws {
        let (channel, harness) = try embeddedConnection(.client)
        harness.openStream()
        channel.embeddedEventLoop.run()
        _ = outbound(channel)
        _ = try? channel.writeInbound(ByteBuffer(bytes: violation.frames))
        channel.embeddedEventLoop.run()

        let outcome = brokenProtocolOutcome(Self.written(channel), channel, harness)
        let goAway = try #require(outcome.goAway)
        #expect(goAway.errorCode == 0x1)
        #expect(goAway.payload.prefix(4) == [0, 0, 0, 0], "a client's last stream: none the server opened")
        #expect(!outcome.stillOpen && outcome.violation.contains(violation.reason), "\(outcome.violation)")
        _ = try? channel.finish()
    }
}
