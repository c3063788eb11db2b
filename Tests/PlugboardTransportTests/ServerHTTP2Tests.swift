import NIOCore
import NIOEmbedded
import PlugboardTestSupport
import PlugboardTransport
import Testing

/// What a server connection's own HTTP/2 (`HTTP2Codec`) does with a client that breaks the
/// protocol, floods it, or pings it; a well-behaved client is the conformance suites' business.
@Suite("A server connection's HTTP/2")
struct ServerHTTP2Tests {
    static let preface = Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8) + http2Frame(0x4)
    /// A request's header block for the harness's method (HPACK: POST, http, the path, the type).
    static let request: [UInt8] =
        [0x83, 0x86, 0x04, UInt8(ConnectionHarness.method.utf8.count)] + Array(ConnectionHarness.method.utf8)
        + [0x0f, 0x10, 0x10] + Array("application/grpc".utf8)

    enum Violation: String, CaseIterable, CustomTestStringConvertible {
        case dataOnUnopenedStream, oversizedFrame, connectionWindowOverflow, reusedStreamID, undecodableHeaders
        case settingsOnStream, pushPromise, notHTTP2

        var testDescription: String { self.rawValue }

        var frames: [UInt8] {
            switch self {
            case .dataOnUnopenedStream: http2Frame(0x0, stream: 5, [1, 2, 3])
            case .oversizedFrame: [0x20, 0x00, 0x00, 0x0, 0x0, 0, 0, 0, 1]  // a 2 MiB DATA frame's header
            case .connectionWindowOverflow: http2Frame(0x8, [0x7f, 0xff, 0xff, 0xff])
            case .reusedStreamID:
                http2Frame(0x1, flags: 0x5, stream: 3, ServerHTTP2Tests.request)
                    + http2Frame(0x1, flags: 0x5, stream: 1, ServerHTTP2Tests.request)
            case .undecodableHeaders: http2Frame(0x1, flags: 0x4, stream: 1, [0xff, 0xff, 0xff, 0xff, 0xff])
            case .settingsOnStream: http2Frame(0x4, stream: 1)
            case .pushPromise: http2Frame(0x5, flags: 0x4, stream: 1, [0, 0, 0, 2])
            case .notHTTP2: Array("GET / HTTP/1.1\r\nHost: plugin\r\n\r\n".utf8)
            }
        }

        /// The GOAWAY's error code (RFC 9113 §7).
        var code: UInt32 {
            switch self {
            case .oversizedFrame: 0x6
            case .connectionWindowOverflow: 0x3
            case .undecodableHeaders: 0x9
            default: 0x1
            }
        }

        /// What the connection's violation says the client did.
        var reason: String {
            switch self {
            case .dataOnUnopenedStream: "it sent DATA on stream 5, a stream never opened"
            case .oversizedFrame: "it sent a frame of 2097152 bytes"
            case .connectionWindowOverflow: "it overflowed the connection's window"
            case .reusedStreamID: "it sent HEADERS on stream 1, which it may not open"
            case .undecodableHeaders: "it sent a header block HPACK can't decode"
            case .settingsOnStream: "it sent SETTINGS on stream 1"
            case .pushPromise: "it sent PUSH_PROMISE, which a client may not"
            case .notHTTP2: "it did not start with the HTTP/2 client preface"
            }
        }
    }

    @Test(
        "a client that breaks HTTP/2 gets GOAWAY with the RFC's code, the connection closes, and its violation says what the client did",
        arguments: Violation.allCases)
    func violation(_ violation: Violation) throws {
        let (channel, harness) = try embeddedConnection(.server)
        let bytes = violation == .notHTTP2 ? violation.frames : Self.preface + violation.frames
        _ = try? channel.writeInbound(ByteBuffer(bytes: bytes))
        channel.embeddedEventLoop.run()

        let outcome = brokenProtocolOutcome(Frame.all(in: outbound(channel)), channel, harness)
        let goAway = try #require(outcome.goAway)
        #expect(goAway.errorCode == violation.code)
        #expect(!outcome.stillOpen && outcome.violation.contains(violation.reason), "\(outcome.violation)")
        _ = try? channel.finish()
    }

    enum Flood: String, CaseIterable, CustomTestStringConvertible {
        case pings, emptyData, headerBlock

        var testDescription: String { self.rawValue }

        var frames: [UInt8] {
            switch self {
            case .pings:
                (0..<11).flatMap { _ in http2Frame(0x6, [1, 2, 3, 4, 5, 6, 7, 8]) }
            case .emptyData:
                http2Frame(0x1, flags: 0x4, stream: 1, ServerHTTP2Tests.request)
                    + (0..<65).flatMap { _ in http2Frame(0x0, stream: 1) }
            case .headerBlock:
                http2Frame(0x1, stream: 1, ServerHTTP2Tests.request)
                    + (0..<5).flatMap { _ in http2Frame(0x9, stream: 1, [UInt8](repeating: 0x40, count: 60_000)) }
            }
        }

        var reason: String {
            switch self {
            case .pings: "it flooded the connection with control frames"
            case .emptyData: "it flooded a stream with empty DATA frames"
            case .headerBlock: "it sent a header block larger than allowed"
            }
        }
    }

    @Test("a flood closes the connection, and its violation says what the client did", arguments: Flood.allCases)
    func flood(_ flood: Flood) throws {
        let (channel, harness) = try embeddedConnection(.server) { $0.maxControlFramesPerSecond = 10 }
        _ = try? channel.writeInbound(ByteBuffer(bytes: Self.preface + flood.frames))
        channel.embeddedEventLoop.run()

        #expect(!channel.isActive)
        let described = harness.protocolViolation.map { "\($0)" } ?? "none"
        #expect(described.contains(flood.reason), "\(described)")
        _ = try? channel.finish()
    }

    @Test("a PING is acknowledged with the server's next frames, or after 1 ms with nothing else to send")
    func pingAcknowledgements() throws {
        let ping = http2Frame(0x6, [1, 2, 3, 4, 5, 6, 7, 8])
        let ack = http2Frame(0x6, flags: 0x1, [1, 2, 3, 4, 5, 6, 7, 8])
        let (channel, _) = try embeddedConnection(.server)
        try channel.writeInbound(ByteBuffer(bytes: Self.preface))
        channel.embeddedEventLoop.run()
        _ = outbound(channel)  // SETTINGS, the connection's window, the SETTINGS acknowledgement

        try channel.writeInbound(ByteBuffer(bytes: ping))
        channel.embeddedEventLoop.run()
        #expect(outbound(channel).isEmpty, "held")
        try channel.writeInbound(ByteBuffer(bytes: http2Frame(0x4)))
        channel.embeddedEventLoop.run()
        let frames = Frame.all(in: outbound(channel))
        #expect(frames.map(\.type) == [0x6, 0x4], "sent with the next SETTINGS acknowledgement")

        try channel.writeInbound(ByteBuffer(bytes: ping))
        channel.embeddedEventLoop.run()
        channel.embeddedEventLoop.advanceTime(by: .microseconds(999))
        #expect(outbound(channel).isEmpty, "held")
        channel.embeddedEventLoop.advanceTime(by: .microseconds(1))
        #expect(outbound(channel) == ack, "sent after 1 ms with nothing else to go")
        _ = try? channel.finish()
    }

    @Test("a client's stream ids must grow, and more streams than the server allows are refused")
    func streamLimits() throws {
        let (channel, harness) = try embeddedConnection(.server) { $0.maxConcurrentStreams = 2 }
        let opens = [1, 3, 5].flatMap { http2Frame(0x1, flags: 0x4, stream: UInt32($0), Self.request) }
        try channel.writeInbound(ByteBuffer(bytes: Self.preface + opens))
        channel.embeddedEventLoop.run()

        #expect(harness.openStreams == 2)
        let reset = try #require(Frame.all(in: outbound(channel)).first { $0.type == 0x3 })
        #expect(reset.stream == 5 && reset.errorCode == 0x7, "RST_STREAM REFUSED_STREAM")
        #expect(channel.isActive)
        _ = try? channel.finish()
    }
}

extension ServerHTTP2Tests {
    @Test("late trailers on a stream the server refused are ignored; the connection goes on")
    func lateFramesOfARefusedStream() throws {
        let (channel, harness) = try embeddedConnection(.server) { $0.maxConcurrentStreams = 1 }
        let frames =
            http2Frame(0x1, flags: 0x4, stream: 1, Self.request) + http2Frame(0x1, flags: 0x4, stream: 3, Self.request)
            + http2Frame(0x0, stream: 3, [0, 0, 0, 0, 0])
            + http2Frame(0x1, flags: 0x5, stream: 3, [0x40, 0x01, 0x61, 0x01, 0x62])
        try channel.writeInbound(ByteBuffer(bytes: Self.preface + frames))
        channel.embeddedEventLoop.run()

        let written = Frame.all(in: outbound(channel))
        #expect(written.contains { $0.type == 0x3 && $0.stream == 3 }, "stream 3 refused")
        #expect(!written.contains { $0.type == 0x7 }, "no GOAWAY")
        #expect(channel.isActive && harness.openStreams == 1 && harness.protocolViolation == nil)
        _ = try? channel.finish()
    }

    @Test("a client that sends while reading nothing is cut off once it is owed 10,000 frames")
    func peerThatDoesNotRead() throws {
        let (channel, harness) = try embeddedConnection(.server)
        try channel.writeInbound(ByteBuffer(bytes: Self.preface))
        channel.embeddedEventLoop.run()
        channel.isWritable = false
        let pings = (0..<10_002).flatMap { _ in http2Frame(0x6, [1, 2, 3, 4, 5, 6, 7, 8]) }
        _ = try? channel.writeInbound(ByteBuffer(bytes: pings))
        channel.embeddedEventLoop.run()

        #expect(!channel.isActive)
        let described = harness.protocolViolation.map { "\($0)" } ?? "none"
        #expect(described.contains("it does not read the frames it is owed"), "\(described)")
        _ = try? channel.finish()
    }

    @Test("a request that arrives a byte at a time opens its stream once its header block is whole")
    func requestByteByByte() throws {
        let (channel, harness) = try embeddedConnection(.server)
        let bytes = Self.preface + http2Frame(0x1, flags: 0x4, stream: 1, Self.request)
        for byte in bytes.dropLast() {
            try channel.writeInbound(ByteBuffer(bytes: [byte]))
        }
        channel.embeddedEventLoop.run()
        #expect(harness.openStreams == 0)
        try channel.writeInbound(ByteBuffer(bytes: [bytes.last!]))
        channel.embeddedEventLoop.run()
        #expect(harness.openStreams == 1 && channel.isActive)
        _ = try? channel.finish()
    }
}
