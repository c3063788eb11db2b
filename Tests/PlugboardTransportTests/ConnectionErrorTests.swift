import NIOCore
import NIOEmbedded
import NIOHTTP2
import PlugboardTransport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// What a lean connection does with each kind of error its pipeline reports.
@Suite("Errors reported to a lean connection")
struct ConnectionErrorTests {
    enum Reported: String, CaseIterable, CustomTestStringConvertible {
        case socketReset, channelClosed, foreign
        case rstFlood, outboundBuffering, notHTTP2
        case lateGoAway, lateFrame, streamError

        var testDescription: String { self.rawValue }

        var error: any Error {
            switch self {
            case .socketReset: IOError(errnoCode: ECONNRESET, reason: "read(descriptor:pointer:size:)")
            case .channelClosed: ChannelError.ioOnClosedChannel
            case .foreign: Foreign()
            case .rstFlood: NIOHTTP2Errors.excessiveRSTFrames()
            case .outboundBuffering: NIOHTTP2Errors.excessiveOutboundFrameBuffering()
            case .notHTTP2: NIOHTTP2Errors.badClientMagic()
            case .lateGoAway: NIOHTTP2Errors.raisedGoawayLastStreamID()
            case .lateFrame: NIOHTTP2Errors.ioOnClosedConnection()
            case .streamError: NIOHTTP2Errors.noSuchStream(streamID: 3)
            }
        }

        /// The connection closes.
        var closes: Bool {
            switch self {
            case .lateGoAway, .lateFrame, .streamError: false
            default: true
            }
        }

        /// The connection closes as the peer's protocol violation, which its calls then name.
        var blamesPeer: Bool {
            switch self {
            case .rstFlood, .outboundBuffering, .notHTTP2: true
            default: false
            }
        }
    }

    struct Foreign: Error {}

    @Test(
        "socket, channel and unknown errors close the connection; NIOHTTP2's flood limits and a client that isn't HTTP/2 close it as the peer's violation; stream errors and our own frames too late for a closing connection leave it open",
        arguments: Reported.allCases)
    func outcome(of reported: Reported) throws {
        let (channel, connection) = try embeddedConnection(.server)
        #expect(channel.isActive)

        channel.pipeline.fireErrorCaught(reported.error)
        channel.embeddedEventLoop.run()

        #expect(channel.isActive == !reported.closes, "\(reported.error)")
        #expect((connection.protocolViolation != nil) == reported.blamesPeer, "\(reported.error)")
        _ = try? channel.finish()
    }
}
