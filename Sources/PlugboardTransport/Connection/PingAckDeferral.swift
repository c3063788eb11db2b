internal import NIOCore

/// Sends the acknowledgements of a peer's PINGs with the connection's next frames, or after
/// ``longestDelay``, rather than in a write of their own.
///
/// grpc-go pings after DATA it receives whenever no ping of its is outstanding (it estimates the
/// connection's bandwidth-delay product), so a go-plugin plugin answers every unary call with a
/// PING, written on its own just before the response. Acknowledged at once, each PING cost a
/// write here and a wake-up of the peer's reader while its handler ran; held back, the
/// acknowledgement goes out with the next call's request. A flush that carries anything else goes
/// through at once, held acknowledgements with it. The delay only inflates grpc-go's round-trip
/// estimate (its flow-control windows grow from it) and stays far inside any keepalive timeout.
///
/// Sits just below NIOHTTP2Handler, above TLS, once the peer has sent a PING
/// (``GRPCConnectionHandler`` adds it then), and knows an acknowledgement by its bytes: a frame
/// NIOHTTP2Handler writes whole, 9 bytes of header and 8 of payload, type PING, flag ACK.
/// Event loop only.
final class PingAckDeferral: ChannelOutboundHandler {
    typealias OutboundIn = IOData

    /// How long a flush holding only PING acknowledgements may wait for other frames.
    static let longestDelay = TimeAmount.milliseconds(1)

    /// What was written since the last flush went down.
    private enum Unflushed {
        case nothing
        case pingAcksOnly
        case other
    }

    private var unflushed = Unflushed.nothing
    private var timer: Scheduled<Void>?

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .byteBuffer(let bytes) = self.unwrapOutboundIn(data), Self.isPingAck(bytes) {
            if self.unflushed == .nothing { self.unflushed = .pingAcksOnly }
        } else {
            self.unflushed = .other
        }
        context.write(data, promise: promise)
    }

    func flush(context: ChannelHandlerContext) {
        guard self.unflushed == .pingAcksOnly else {
            self.unflushed = .nothing
            context.flush()
            return
        }
        guard self.timer == nil else { return }
        self.timer = context.eventLoop.assumeIsolated().scheduleTask(in: Self.longestDelay) { [self] in
            self.timer = nil
            guard self.unflushed == .pingAcksOnly else { return }
            self.unflushed = .nothing
            context.flush()
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.timer?.cancel()
        self.timer = nil
    }

    private static func isPingAck(_ bytes: ByteBuffer) -> Bool {
        guard bytes.readableBytes == 17 else { return false }
        let type = bytes.getInteger(at: bytes.readerIndex + 3, as: UInt8.self)
        let flags = bytes.getInteger(at: bytes.readerIndex + 4, as: UInt8.self)
        return type == 0x6 && flags == 0x1
    }
}
