import GRPCCore
import NIOCore
import NIOEmbedded
import PlugboardTestSupport
import PlugboardTransport
import ProtobufC
import Testing

/// Header fields HTTP/2 forbids (RFC 9113 §8.2), which the lean connection checks itself: it
/// neither sends them nor passes them on as metadata.
@Suite("Malformed header fields")
struct MalformedHeaderTests {
    @Test(
        "metadata HTTP/2 forbids fails the call before anything is sent, naming the field; the connection stays usable",
        arguments: TransportPair.all.filter { $0.client == .lean })
    func unsendableRequest(pair: TransportPair) async throws {
        try await withEchoServer(pair) { client, _ in
            let cases: [(Metadata, String)] = [
                (
                    ["x bad": "v"],
                    "the header name \"x bad\" is not a lowercase HTTP token (letters a-z, digits and !#$%&'*+-.^_`|~)"
                ),
                (
                    ["x-ok": "two\nlines"],
                    "the value of header \"x-ok\" holds a NUL, CR or LF byte, which HTTP/2 forbids"
                ),
            ]
            for (metadata, problem) in cases {
                let error = await #expect(throws: RPCError.self) {
                    try await client.call(EchoService.Method.get, [1], metadata: metadata)
                }
                #expect(error?.code == .internalError)
                #expect(error?.message == "The call's metadata can't be sent: \(problem); change it.")
            }
            let valid = try await client.call(EchoService.Method.get, [2], metadata: ["x-ok": "café, spaces"])
            #expect(valid == [2])
        }
    }

    @Test("a metadata key may hold exactly the bytes of an HTTP token (uppercase is lowercased first)")
    func tokenBytes() async throws {
        let token = Set("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ".utf8)
        try await withEchoServer(TransportPair(server: .lean, client: .lean)) { client, _ in
            for byte in UInt8(0x01)...UInt8(0x7F) {
                let key = "x-" + String(decoding: [byte], as: UTF8.self)
                let sent = (try? await client.call(EchoService.Method.get, [byte], metadata: [key: "v"])) != nil
                #expect(sent == token.contains(byte), "key \(key.debugDescription)")
            }
        }
    }

    @Test(
        "a handler's metadata HTTP/2 forbids ends its call with a status that says so",
        arguments: TransportPair.all.filter { $0.server == .lean })
    func unsendableResponse(pair: TransportPair) async throws {
        try await withEchoServer(pair) { client, _ in
            let error = await #expect(throws: RPCError.self) {
                try await client.call(EchoService.Method.get, [1], metadata: ["x-answer-malformed": "1"])
            }
            #expect(error?.code == .internalError)
            #expect(
                error?.message
                    == "The server's response metadata can't be sent: the value of header \"x-answer\" holds a NUL, CR or LF byte, which HTTP/2 forbids."
            )
            let next = try await client.call(EchoService.Method.get, [2])
            #expect(next == [2])
        }
    }

    enum Received: String, CaseIterable, CustomTestStringConvertible {
        case uppercaseName, newlineInValue, connectionSpecific, malformedTrailers
        var testDescription: String { self.rawValue }

        /// The server's frames after its SETTINGS, on stream 1.
        var frames: [UInt8] {
            let response = [0x88] + contentType
            return switch self {
            case .uppercaseName: http2Frame(0x1, flags: 0x5, stream: 1, response + literal("X-Upper", "1"))
            case .newlineInValue: http2Frame(0x1, flags: 0x5, stream: 1, response + literal("x-text", "a\rb"))
            case .connectionSpecific: http2Frame(0x1, flags: 0x5, stream: 1, response + literal("connection", "close"))
            case .malformedTrailers:
                http2Frame(0x1, flags: 0x4, stream: 1, response)
                    + http2Frame(0x1, flags: 0x5, stream: 1, literal("grpc-status", "0") + literal("x-\u{0}", "1"))
            }
        }

        var problem: String {
            switch self {
            case .uppercaseName: #"the header name "X-Upper" is not a lowercase HTTP token"#
            case .newlineInValue: #"the value of header "x-text" holds a NUL, CR or LF byte"#
            case .connectionSpecific: #""connection" is a connection-specific header"#
            case .malformedTrailers: #"the header name "x-\0" is not a lowercase HTTP token"#
            }
        }
    }

    @Test(
        "a response with a field HTTP/2 forbids ends the call with a status naming it and resets the stream",
        arguments: Received.allCases)
    func malformedResponse(_ received: Received) throws {
        let (channel, harness) = try embeddedConnection(.client)
        harness.openStream()
        channel.embeddedEventLoop.run()
        _ = outbound(channel)

        try channel.writeInbound(ByteBuffer(bytes: http2Frame(0x4) + received.frames))
        channel.embeddedEventLoop.run()

        let status = try #require(harness.statuses.first ?? nil)
        #expect(status.code == .internalError)
        #expect(status.message.hasPrefix("The server sent a malformed header block: \(received.problem)"), "\(status)")
        #expect(contains(outbound(channel), resetOf: 1), "RST_STREAM PROTOCOL_ERROR")
        #expect(channel.isActive && harness.protocolViolation == nil, "only the stream is at fault")
        _ = try? channel.finish()
    }

    @Test("a request with a field HTTP/2 forbids is reset, and the connection serves the next one")
    func malformedRequest() throws {
        let (channel, harness) = try embeddedConnection(.server)
        let request =
            [0x83, 0x86, 0x04, UInt8(ConnectionHarness.method.utf8.count)] + Array(ConnectionHarness.method.utf8)
            + contentType + literal("te", "trailers")
        try channel.writeInbound(
            ByteBuffer(
                bytes: Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8) + http2Frame(0x4)
                    + http2Frame(0x1, flags: 0x4, stream: 1, request + literal("x-text", "a\nb"))))
        channel.embeddedEventLoop.run()
        #expect(contains(outbound(channel), resetOf: 1), "RST_STREAM PROTOCOL_ERROR")
        #expect(harness.openStreams == 0)

        try channel.writeInbound(ByteBuffer(bytes: http2Frame(0x1, flags: 0x4, stream: 3, request)))
        channel.embeddedEventLoop.run()
        #expect(harness.openStreams == 1)
        #expect(!contains(outbound(channel), resetOf: 3))
        _ = try? channel.finish()
    }
}

private let contentType: [UInt8] = [0x0f, 0x10, 0x10] + Array("application/grpc".utf8)

/// A literal header field without indexing, its name and value not Huffman-coded.
private func literal(_ name: String, _ value: String) -> [UInt8] {
    [0x00, UInt8(name.utf8.count)] + Array(name.utf8) + [UInt8(value.utf8.count)] + Array(value.utf8)
}

/// Whether `bytes` hold an RST_STREAM frame with PROTOCOL_ERROR for `stream`.
private func contains(_ bytes: [UInt8], resetOf stream: UInt8) -> Bool {
    let reset: [UInt8] = [0, 0, 4, 0x3, 0, 0, 0, 0, stream, 0, 0, 0, 1]
    guard bytes.count >= reset.count else { return false }
    return (0...(bytes.count - reset.count)).contains { Array(bytes[$0..<$0 + reset.count]) == reset }
}
