internal import NIOCore
internal import NIOHPACK
internal import NIOHTTP2

/// The HTTP/2 of a server connection, under ``GRPCConnectionHandler``: bytes from the socket
/// become `HTTP2Frame`s and `StreamClosedEvent`s for it, and its frames become bytes.
///
/// It does what RFC 9113 asks of a server that a gRPC client talks to, and no more: the preface
/// and SETTINGS, PING, GOAWAY, RST_STREAM, HEADERS with CONTINUATION (HPACK from swift-nio-http2's
/// `NIOHPACK`), padding, both flow-control windows each way, stream states and the concurrency
/// limit, and the limits that keep a flooding peer from costing CPU or memory without bound. It
/// took the place of swift-nio-http2's `NIOHTTP2Handler` on server connections, whose generic
/// state machine cost about a fifth of a plugin's CPU per call (the cost ladder's "own server"
/// rungs measured the difference first). PING acknowledgements go with the connection's next
/// frames, or after ``longestAckDelay``, as ``PingAckDeferral`` holds them on a client connection.
///
/// Event loop only.
final class HTTP2ServerCodec: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = HTTP2Frame
    typealias OutboundIn = HTTP2Frame
    typealias OutboundOut = IOData

    /// What ends the connection: a protocol error (GOAWAY with `code`, then `error` reported), or
    /// a flood (`error` reported, no GOAWAY), as NIOHTTP2Handler ended it.
    enum Failure: Error {
        case connection(HTTP2ErrorCode, any Error)
        case flood(any Error)

        static func protocolError(_ reason: String) -> Failure {
            .connection(.protocolError, HTTP2PeerError(reason: reason))
        }
    }

    struct Stream {
        var sendWindow: Int
        var receiveWindow: Int
        var receivedEnd = false
        var sentEnd = false
        /// DATA (and the frames after it) waiting for send window, in order.
        var queued: [(HTTP2Frame.FramePayload, EventLoopPromise<Void>?)] = []
    }

    /// The frame size this end announces and accepts.
    static let maxFrameSize = 1 << 20
    /// The header list size this end announces and accepts.
    static let maxHeaderListSize = 1 << 16
    /// The most bytes a header block (HEADERS and its CONTINUATION frames) may take on the wire.
    static let maxHeaderBlockSize = 4 * maxHeaderListSize
    /// How long an acknowledgement waits for other frames to go with.
    static let longestAckDelay = TimeAmount.milliseconds(1)
    /// Frames written while the socket takes nothing more (a peer that doesn't read), before the
    /// connection goes.
    static let maxUnsentFrames = 10_000
    /// Streams this end reset or refused whose late frames are ignored rather than taken for a
    /// protocol error (RFC 9113 §5.1), the most recent first out last.
    static let rememberedResets = 1_024
    /// Empty DATA frames in a row without END_STREAM, before the connection goes.
    static let maxEmptyDataFrames = 64

    let config: UnixSocketTransport.Config
    let watch: ConnectionErrorWatch
    var context: ChannelHandlerContext?
    var input: ByteBuffer?
    /// Frames encoded and not yet handed to the channel.
    var output = ByteBuffer()
    /// `output` holds nothing but PING acknowledgements.
    var outputIsAcksOnly = false
    /// Frames were handed to the channel since its last flush.
    var unflushed = false
    var ackTimer: Scheduled<Void>?
    var sawPreface = false
    var failed = false
    /// The channel went inactive: nothing read after that counts.
    var closed = false
    var decoder = HPACKDecoder(
        allocator: ByteBufferAllocator(), maxDynamicTableSize: HPACKDecoder.maxDynamicTableSize,
        maxHeaderListSize: HTTP2ServerCodec.maxHeaderListSize)
    var encoder = HPACKEncoder(allocator: ByteBufferAllocator())
    /// A header block waiting for its CONTINUATION frames.
    var headerBlock: (stream: UInt32, flags: UInt8, block: ByteBuffer)?
    var streams: [UInt32: Stream] = [:]
    /// Streams with queued frames, oldest first.
    var blocked: [UInt32] = []
    var lastStreamID: UInt32 = 0
    var connectionSendWindow = 65_535
    var connectionReceiveWindow = 65_535
    var initialSendWindow = 65_535
    var peerMaxFrameSize = 16_384
    var emptyDataFrames = 0
    var controlFrames = ControlFrameBudget()
    var resets = ControlFrameBudget()
    var unsentFrames = 0
    /// Connection window to return for DATA this end dropped, sent once per read.
    var droppedDataCredit = 0
    var recentlyReset: Set<UInt32> = []
    var recentlyResetOrder: [UInt32] = []

    init(config: UnixSocketTransport.Config, watch: ConnectionErrorWatch) {
        self.config = config
        self.watch = watch
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        self.output = context.channel.allocator.buffer(capacity: 1_024)
        if context.channel.isActive { self.writePreface(context: context) }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
        self.ackTimer?.cancel()
        self.failAllQueued()
    }

    func channelActive(context: ChannelHandlerContext) {
        self.writePreface(context: context)
        context.fireChannelActive()
        self.flushOutput(context: context)
    }

    /// The server's preface: SETTINGS, first of all its frames.
    private func writePreface(context: ChannelHandlerContext) {
        let settings: [(UInt16, Int)] = [
            (0x3, self.config.maxConcurrentStreams), (0x4, self.config.streamWindowSize),
            (0x5, Self.maxFrameSize), (0x6, Self.maxHeaderListSize),
        ]
        self.output.writeHTTP2Frame(.settings, stream: 0) { buffer in
            for (id, value) in settings {
                buffer.writeInteger(id)
                buffer.writeInteger(UInt32(clamping: value))
            }
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.closed = true
        self.input = nil
        self.failAllQueued()
        context.fireChannelInactive()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable { self.unsentFrames = 0 }
        context.fireChannelWritabilityChanged()
    }

    // MARK: Reading

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !self.failed, !self.closed else { return }
        var bytes = self.unwrapInboundIn(data)
        if var input = self.input, input.readableBytes > 0 {
            self.input = nil  // uniquely referenced while appending
            input.writeBuffer(&bytes)
            self.input = input
        } else {
            self.input = bytes
        }
        do throws(Failure) {
            try self.readFrames(context: context)
        } catch {
            self.fail(error, context: context)
        }
        // What is left is at most a partial frame: keep it alone, not the bytes read before it,
        // which a buffer that grows or is copied would otherwise carry along.
        if let input = self.input {
            if input.readableBytes == 0 {
                self.input = nil
            } else if input.readerIndex > 0 {
                self.input = input.getSlice(at: input.readerIndex, length: input.readableBytes)
            }
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if self.droppedDataCredit > 0, !self.failed {
            let credit = self.droppedDataCredit
            self.droppedDataCredit = 0
            self.connectionReceiveWindow += credit
            self.writeFrame(.windowUpdate, stream: 0) { $0.writeInteger(UInt32(credit)) }
        }
        context.fireChannelReadComplete()
        // Acknowledgements alone wait (``longestAckDelay``); anything else goes now.
        if self.unflushed || (self.output.readableBytes > 0 && !self.outputIsAcksOnly) {
            self.flushOutput(context: context)
        }
    }

    private func readFrames(context: ChannelHandlerContext) throws(Failure) {
        if !self.sawPreface {
            let preface = HTTP2WireFrame.clientPreface
            guard let input = self.input, input.readableBytes >= preface.count else { return }
            guard input.readableBytesView.prefix(preface.count).elementsEqual(preface) else {
                throw .flood(NIOHTTP2Errors.badClientMagic())
            }
            self.input!.moveReaderIndex(forwardBy: preface.count)
            self.sawPreface = true
        }
        while !self.failed, !self.closed, let length = self.input?.peekHTTP2FrameLength() {
            guard self.unsentFrames <= Self.maxUnsentFrames else {
                throw .flood(NIOHTTP2Errors.excessiveOutboundFrameBuffering())
            }
            guard length <= Self.maxFrameSize else {
                throw .connection(
                    .frameSizeError,
                    HTTP2PeerError(reason: "it sent a frame of \(length) bytes, over the \(Self.maxFrameSize) allowed"))
            }
            guard let frame = self.input!.readHTTP2Frame() else { return }
            try self.process(frame, context: context)
        }
    }

    /// Ends the connection: GOAWAY for a protocol error, then the error to ``GRPCConnectionHandler``,
    /// which closes the channel.
    func fail(_ failure: Failure, context: ChannelHandlerContext) {
        self.failed = true
        self.input = nil
        switch failure {
        case .connection(let code, let error):
            let goAway = HTTP2Frame(
                streamID: .rootStream,
                payload: .goAway(lastStreamID: HTTP2StreamID(Int(self.lastStreamID)), errorCode: code, opaqueData: nil))
            self.encodeControl(goAway.payload)
            self.watch.wroteFrame(goAway)
            self.flushOutput(context: context)
            context.fireErrorCaught(error)
        case .flood(let error):
            context.fireErrorCaught(error)
        }
    }
}

/// A peer's HTTP/2 error, in words, that ends the connection with GOAWAY.
struct HTTP2PeerError: Error, CustomStringConvertible {
    let reason: String
    var description: String { self.reason }
}
