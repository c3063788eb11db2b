import NIOCore
import NIOEmbedded
import PlugboardTestSupport
import PlugboardTransport
import Testing

/// A peer's PINGs (grpc-go sends one after DATA it receives) are acknowledged with the
/// connection's next frames, or within a millisecond, rather than in a write of their own.
@Suite("PING acknowledgements")
struct PingAckTests {
    static let payload: [UInt8] = [1, 2, 3, 4, 5, 6, 7, 8]
    static let ping = http2Frame(0x6, Self.payload)
    static let ack = http2Frame(0x6, flags: 0x1, Self.payload)

    @Test("a PING is acknowledged with the next frames the connection writes, or after 1 ms with nothing else to send")
    func acknowledgements() throws {
        let (channel, harness) = try embeddedConnection(.client)
        channel.embeddedEventLoop.run()
        _ = outbound(channel)  // the preface, SETTINGS and the connection's window

        try channel.writeInbound(ByteBuffer(bytes: http2Frame(0x4) + Self.ping))
        channel.embeddedEventLoop.run()
        #expect(count(Self.ack, in: outbound(channel)) == 1, "the first, with the SETTINGS acknowledgement")

        try channel.writeInbound(ByteBuffer(bytes: Self.ping))
        channel.embeddedEventLoop.run()
        #expect(outbound(channel).isEmpty, "held")
        harness.openStream()
        channel.embeddedEventLoop.run()
        let request = outbound(channel)
        #expect(count(Self.ack, in: request) == 1, "sent with the request")
        #expect(request.count > Self.ack.count, "the request's HEADERS went too")

        try channel.writeInbound(ByteBuffer(bytes: Self.ping))
        channel.embeddedEventLoop.run()
        channel.embeddedEventLoop.advanceTime(by: .microseconds(999))
        #expect(outbound(channel).isEmpty, "held")
        channel.embeddedEventLoop.advanceTime(by: .microseconds(1))
        #expect(outbound(channel) == Self.ack, "sent after 1 ms with nothing else to go")
        _ = try? channel.finish()
    }

    /// How many times `needle` occurs in `bytes`.
    private func count(_ needle: [UInt8], in bytes: [UInt8]) -> Int {
        guard bytes.count >= needle.count else { return 0 }
        return (0...(bytes.count - needle.count)).count { bytes[$0..<$0 + needle.count].elementsEqual(needle) }
    }
}
