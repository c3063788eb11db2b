import NIOCore
import NIOEmbedded
import PlugboardTransport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// What a lean connection does with the errors its pipeline reports besides HTTP/2's (a peer that
/// breaks HTTP/2 is `ServerHTTP2Tests`' and `ClientHTTP2Tests`' business).
@Suite("Errors reported to a lean connection")
struct ConnectionErrorTests {
    enum Reported: String, CaseIterable, CustomTestStringConvertible {
        case socketReset, channelClosed, foreign

        var testDescription: String { self.rawValue }

        var error: any Error {
            switch self {
            case .socketReset: IOError(errnoCode: ECONNRESET, reason: "read(descriptor:pointer:size:)")
            case .channelClosed: ChannelError.ioOnClosedChannel
            case .foreign: Foreign()
            }
        }
    }

    struct Foreign: Error {}

    @Test(
        "socket, channel and unknown errors close the connection, and don't blame the peer for breaking HTTP/2",
        arguments: Reported.allCases)
    func outcome(of reported: Reported) throws {
        let (channel, connection) = try embeddedConnection(.server)
        #expect(channel.isActive)

        channel.pipeline.fireErrorCaught(reported.error)
        channel.embeddedEventLoop.run()

        #expect(!channel.isActive, "\(reported.error)")
        #expect(connection.protocolViolation == nil, "\(reported.error)")
        _ = try? channel.finish()
    }
}
