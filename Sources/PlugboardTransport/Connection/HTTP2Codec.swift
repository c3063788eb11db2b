internal import NIOCore
internal import NIOHPACK
internal import NIOHTTP2

/// The HTTP/2 of a connection, under ``GRPCConnectionHandler``: bytes from the socket become
/// `HTTP2Frame`s and `StreamClosedEvent`s for it, and its frames become bytes.
///
/// It does what RFC 9113 asks of the two ends of a gRPC connection, and no more: the preface and
/// SETTINGS, PING, GOAWAY, RST_STREAM, HEADERS with CONTINUATION (HPACK from swift-nio-http2's
/// `NIOHPACK`), padding, both flow-control windows each way, stream states and the concurrency
/// limits (a server refuses streams over its own; a client holds new streams back while the
/// server's is reached), and the limits that keep a flooding peer from costing CPU or memory
/// without bound. Only clients open streams: gRPC has no server push, which a client disables.
/// It took the place of swift-nio-http2's `NIOHTTP2Handler`, whose generic state machine cost
/// about a fifth of each process's CPU per call (the cost ladder's "own server" rungs measured
/// the difference first). PING acknowledgements go with the connection's next frames, or after
/// ``longestAckDelay``: grpc-go pings after the DATA it receives, and each acknowledgement
/// written alone cost a write here and a wake-up of the peer.
///
/// Event loop only.
final class HTTP2Codec: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = HTTP2Frame
    typealias OutboundIn = HTTP2Frame
    typealias OutboundOut = IOData

    /// What ends the connection: the peer broke HTTP/2 (GOAWAY `code`), or flooded it
    /// (GOAWAY ENHANCE_YOUR_CALM); `reason` says what it did, in words.
    struct Failure: Error {
        var code: HTTP2ErrorCode
        var reason: String

        static func protocolError(_ reason: String) -> Failure { Failure(code: .protocolError, reason: reason) }
        static func frameSizeError(_ reason: String) -> Failure { Failure(code: .frameSizeError, reason: reason) }
        static func flowControlError(_ reason: String) -> Failure { Failure(code: .flowControlError, reason: reason) }
        static func compressionError(_ reason: String) -> Failure { Failure(code: .compressionError, reason: reason) }
        static func flood(_ reason: String) -> Failure { Failure(code: .enhanceYourCalm, reason: reason) }
    }

    /// Which end of the connection this is.
    enum Side {
        /// Opens streams: sends the preface, then HEADERS with requests.
        case client
        /// Takes the streams a client opens.
        case server
    }

    struct Stream {
        /// A client's stream waiting for the server's concurrency limit: nothing of it sent yet.
        var waitingToOpen = false
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

    let side: Side
    let config: UnixSocketTransport.Config
    var context: ChannelHandlerContext?
    var input: ByteBuffer?
    /// Frames encoded and not yet handed to the channel.
    var output = ByteBuffer()
    /// `output` holds nothing but PING acknowledgements.
    var outputIsAcksOnly = false
    /// Frames were handed to the channel since its last flush.
    var unflushed = false
    var ackTimer: Scheduled<Void>?
    /// The client's magic came (on a server; a client waits for none).
    var sawPreface = false
    /// The peer's first frame, SETTINGS, came.
    var sawSettings = false
    var failed = false
    /// The channel went inactive: nothing read after that counts.
    var closed = false
    var decoder = HPACKDecoder(
        allocator: ByteBufferAllocator(), maxDynamicTableSize: HPACKDecoder.maxDynamicTableSize,
        maxHeaderListSize: HTTP2Codec.maxHeaderListSize)
    var encoder = HPACKEncoder(allocator: ByteBufferAllocator())
    /// A header block waiting for its CONTINUATION frames.
    var headerBlock: (stream: UInt32, flags: UInt8, block: ByteBuffer)?
    var streams: [UInt32: Stream] = [:]
    /// Streams with queued frames, oldest first.
    var blocked: [UInt32] = []
    /// A client's streams waiting for the server's concurrency limit, oldest first.
    var waitingToOpen: [UInt32] = []
    /// The highest stream id opened on the connection (by the client: gRPC servers open none).
    var lastStreamID: UInt32 = 0
    /// The most streams the peer takes at once (SETTINGS_MAX_CONCURRENT_STREAMS).
    var peerMaxConcurrentStreams = Int.max
    /// The server sent GOAWAY: a client opens no more streams.
    var peerWentAway = false
    var connectionSendWindow = HTTP2WireFrame.defaultWindow
    var connectionReceiveWindow = HTTP2WireFrame.defaultWindow
    var initialSendWindow = HTTP2WireFrame.defaultWindow
    /// The peer acknowledged this end's SETTINGS.
    var peerAckedSettings = false
    /// A new stream's window for the peer's DATA: the one this end announced, once the peer
    /// acknowledged it; until then HTTP/2's default, so that a peer that ignores this end's
    /// SETTINGS (or flow control) is held to 64 KiB a stream.
    var initialReceiveWindow: Int {
        self.peerAckedSettings ? self.config.streamWindowSize : HTTP2WireFrame.defaultWindow
    }
    /// The streams open now, not those waiting to (only a client's wait).
    var openStreamCount: Int { self.streams.count - self.waitingToOpen.count }
    var peerMaxFrameSize = 16_384
    var emptyDataFrames = 0
    var controlFrames = ControlFrameBudget()
    var resets = ControlFrameBudget()
    var unsentFrames = 0
    /// Connection window to return for DATA this end dropped, sent once per read.
    var droppedDataCredit = 0
    var recentlyReset: Set<UInt32> = []
    var recentlyResetOrder: [UInt32] = []

    init(side: Side, config: UnixSocketTransport.Config) {
        self.side = side
        self.config = config
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        self.output = context.channel.allocator.buffer(capacity: 1_024)
        if context.channel.isActive {
            self.writePreface(context: context)
            self.flushOutput(context: context)
        }
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

    /// This end's preface: SETTINGS, first of all its frames, after the client's magic.
    private func writePreface(context: ChannelHandlerContext) {
        var settings: [(UInt16, Int)] = [
            (0x3, self.config.maxConcurrentStreams), (0x4, self.config.streamWindowSize),
            (0x5, Self.maxFrameSize), (0x6, Self.maxHeaderListSize),
        ]
        if self.side == .client {
            self.output.writeBytes(HTTP2WireFrame.clientPreface)
            settings.append((0x2, 0))  // ENABLE_PUSH
        }
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
        self.openWaitingStreams()
        context.fireChannelReadComplete()
        // Acknowledgements alone wait (``longestAckDelay``); anything else goes now.
        if self.unflushed || (self.output.readableBytes > 0 && !self.outputIsAcksOnly) {
            self.flushOutput(context: context)
        }
    }

    private func readFrames(context: ChannelHandlerContext) throws(Failure) {
        if !self.sawPreface, self.side == .server {
            let preface = HTTP2WireFrame.clientPreface
            guard let input = self.input, input.readableBytes >= preface.count else { return }
            guard input.readableBytesView.prefix(preface.count).elementsEqual(preface) else {
                throw .protocolError("it did not start with the HTTP/2 client preface")
            }
            self.input!.moveReaderIndex(forwardBy: preface.count)
            self.sawPreface = true
        }
        while !self.failed, !self.closed, let length = self.input?.peekHTTP2FrameLength() {
            guard self.unsentFrames <= Self.maxUnsentFrames else {
                throw .flood("it does not read the frames it is owed")
            }
            guard length <= Self.maxFrameSize else {
                throw .frameSizeError("it sent a frame of \(length) bytes, over the \(Self.maxFrameSize) allowed")
            }
            guard let frame = self.input!.readHTTP2Frame() else { return }
            try self.process(frame, context: context)
        }
    }

    /// Ends the connection: GOAWAY, then the violation to ``GRPCConnectionHandler``, which closes
    /// the channel and fails the open calls with it.
    func fail(_ failure: Failure, context: ChannelHandlerContext) {
        self.failed = true
        self.input = nil
        // The last stream the peer opened that this end processed: a client's peer opens none.
        let last = self.side == .server ? HTTP2StreamID(Int(self.lastStreamID)) : .rootStream
        self.encodeControl(.goAway(lastStreamID: last, errorCode: failure.code, opaqueData: nil))
        self.flushOutput(context: context)
        context.fireErrorCaught(HTTP2ProtocolViolation(reason: failure.reason, goAwayCode: failure.code))
    }
}
