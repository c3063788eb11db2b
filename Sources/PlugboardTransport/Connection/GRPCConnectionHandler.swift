internal import GRPCCore
internal import GRPCNIOTransportHTTP2Posix
internal import NIOCore
internal import NIOHPACK
internal import NIOHTTP2
internal import PlugboardCore

/// The one handler behind a connection's HTTP/2 (``HTTP2Codec``): it keeps the stream table,
/// turns frames into gRPC parts and parts into frames, and does stream flow control.
///
/// Runs only on the channel's event loop. Server and client specifics live in the
/// `+Server` and `+Client` extensions.
final class GRPCConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = HTTP2Frame
    typealias OutboundOut = HTTP2Frame

    enum Role {
        case server(ServerRole)
        case client(ClientRole)
    }

    struct ServerRole {
        /// Descriptors of the server's methods by `:path`.
        var methods: [String: MethodDescriptor]
        /// Receives each new RPC.
        var onStream: AcceptedStreams
        /// `:path`s of long-lived streams a graceful shutdown doesn't wait for.
        var backgroundPaths: Set<String>
        /// Counts every other stream accepted, until its handler returns.
        var calls: CallCount
        /// Called once, when the connection becomes active (NIO registered it and reads from it):
        /// hands it to the server's accept loop; `false` if that loop has ended, and the
        /// connection is closed.
        var onActive: @Sendable () -> Bool = { true }
    }

    struct ClientRole {
        var authority: String
        /// Called once, on the event loop, when the connection can't take new streams any more.
        var onDraining: @Sendable () -> Void
    }

    let core: ConnectionCore
    let role: Role
    var context: ChannelHandlerContext?
    var streams: [HTTP2StreamID: StreamCore] = [:]
    /// Client: the next stream ID to use.
    var nextStreamID: Int32 = 1
    /// Server: the highest stream ID the client opened.
    var lastPeerStreamID = HTTP2StreamID.rootStream
    /// GOAWAY was sent (server) or received (client): no new streams.
    var draining = false
    var isClosed = false
    private var connectionCredit = 0
    private var needsFlush = false
    private var isReading = false
    /// How long the loop polls after this connection's reads and writes (``LoopPoller``).
    private let pollWindow: TimeAmount

    init(core: ConnectionCore, role: Role) {
        self.core = core
        self.role = role
        self.pollWindow = .nanoseconds(core.config.pollBeforeSleeping.nanoseconds)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        self.core.handler = self
        if context.channel.isActive { self.openConnectionWindow(context: context) }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
        self.core.handler = nil
        self.core.closing.set(())  // a channel closed before it was active never goes inactive
        if case .server(let role) = self.role { role.onStream.finish() }
    }

    func channelActive(context: ChannelHandlerContext) {
        if case .server(let role) = self.role, !role.onActive() {
            context.close(promise: nil)
            return
        }
        self.openConnectionWindow(context: context)
        context.fireChannelActive()
    }

    private func openConnectionWindow(context: ChannelHandlerContext) {
        let increment = self.core.config.connectionWindowSize - HTTP2WireFrame.defaultWindow
        guard increment > 0 else { return }
        self.write(HTTP2Frame(streamID: .rootStream, payload: .windowUpdate(windowSizeIncrement: increment)))
        self.flushIfNeeded()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = self.unwrapInboundIn(data)
        self.isReading = true
        switch frame.payload {
        case .headers(let headers):
            switch self.role {
            case .server(let role):
                self.serverReceived(headers: headers, streamID: frame.streamID, role: role)
            case .client:
                self.clientReceived(headers: headers, streamID: frame.streamID)
            }
        case .data(let data):
            self.received(data: data, streamID: frame.streamID)
        case .rstStream(let code):
            self.receivedReset(code, streamID: frame.streamID)
        case .goAway(let lastStreamID, _, _):
            self.receivedGoAway(lastStreamID: lastStreamID)
        case .windowUpdate, .ping, .settings, .priority, .pushPromise, .alternativeService, .origin:
            ()  // ``HTTP2Codec`` answers PINGs and SETTINGS, applies window updates, passes none up.
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        self.isReading = false
        self.flushIfNeeded()
        LoopPoller.keepPolling(context.eventLoop, for: self.pollWindow)
        context.fireChannelReadComplete()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        // Comparing the type first spares other events (TLS's, the channel's) a failing dynamic cast.
        if type(of: event) == StreamClosedEvent.self, let closed = event as? StreamClosedEvent,
            let stream = self.streams.removeValue(forKey: closed.streamID)
        {
            if self.core.protocolViolation != nil {
                self.connectionLost(stream)
            } else {
                self.streamClosed(stream, reason: closed.reason)
            }
            self.closeIfDrained()
        }
        context.fireUserInboundEventTriggered(event)
    }

    /// The peer broke HTTP/2 (``HTTP2Codec`` sent GOAWAY): close. Every open call fails with
    /// UNAVAILABLE whose cause is `violation` (`connectionLost`).
    private func peerBrokeProtocol(_ violation: HTTP2ProtocolViolation, context: ChannelHandlerContext) {
        if self.core.protocolViolation == nil { self.core.protocolViolation = violation }
        self.needsFlush = false
        context.flush()  // the GOAWAY first, if the socket takes it
        context.close(promise: nil)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // ``HTTP2Codec`` sent GOAWAY for a peer that broke HTTP/2 and stopped reading; the
        // connection closes, and its calls fail with the violation as their cause.
        if let violation = error as? HTTP2ProtocolViolation {
            self.peerBrokeProtocol(violation, context: context)
            return
        }
        // Concrete types before the protocol: the first `is any SomeProtocol` a process asks of a
        // type scans every conformance record in the binary, and the errors below reach this handler
        // on about half of all plugin stops (which spent about 0.9 ms in such scans here).
        switch error {
        case is IOError, is ChannelError:
            context.close(promise: nil)  // the socket failed, or the peer closed it
        default:
            context.close(promise: nil)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.isClosed = true
        self.core.closing.set(())
        let streams = self.streams
        self.streams.removeAll()
        for stream in streams.values {
            self.connectionLost(stream)
        }
        switch self.role {
        case .server(let role):
            role.onStream.finish()
        case .client:
            self.stopTakingStreams()
        }
        context.fireChannelInactive()
    }

    // MARK: Writing

    func write(_ frame: HTTP2Frame, promise: EventLoopPromise<Void>? = nil) {
        guard let context = self.context else {
            promise?.fail(ChannelError.ioOnClosedChannel)
            return
        }
        context.write(self.wrapOutboundOut(frame), promise: promise)
        self.needsFlush = true
    }

    func flushIfNeeded() {
        guard self.needsFlush, !self.isReading, let context = self.context else { return }
        self.needsFlush = false
        context.flush()
    }

    func resetStream(_ stream: StreamCore, code: HTTP2ErrorCode) {
        guard let id = stream.loop.streamID, self.streams[id] === stream,
            !stream.loop.sentEnd || !stream.loop.receivedEnd
        else { return }
        stream.loop.sentEnd = true
        self.write(HTTP2Frame(streamID: id, payload: .rstStream(code)))
    }

    /// Returns stream window to the peer.
    func sendStreamCredit(_ credit: Int, for stream: StreamCore) {
        guard let id = stream.loop.streamID, !stream.loop.receivedEnd, self.streams[id] === stream else { return }
        self.write(HTTP2Frame(streamID: id, payload: .windowUpdate(windowSizeIncrement: credit)))
        self.flushIfNeeded()
    }

    // MARK: Inbound DATA

    private func received(data: HTTP2Frame.FramePayload.Data, streamID: HTTP2StreamID) {
        guard case .byteBuffer(let buffer) = data.data else { return }
        let padding = data.paddingBytes.map { $0 + 1 } ?? 0
        self.connectionCredit += buffer.readableBytes + padding
        if self.connectionCredit >= self.core.config.connectionWindowSize / 4 {
            self.write(
                HTTP2Frame(streamID: .rootStream, payload: .windowUpdate(windowSizeIncrement: self.connectionCredit))
            )
            self.connectionCredit = 0
        }
        guard let stream = self.streams[streamID], !stream.loop.receivedEnd else { return }
        // Mark the end before delivering this frame's messages: the stream is half-closed (remote),
        // and a WINDOW_UPDATE for it would only be dropped. Delivering a message to a parked reader
        // can release a batch of credit right here on the loop; `sendStreamCredit` must already see
        // `receivedEnd` and drop it.
        if data.endStream { stream.loop.receivedEnd = true }
        do {
            // Window released while the deframer runs is sent after it: sending reads the
            // stream's loop state, which `process` holds for writing.
            var owed = 0
            let creditNow = try stream.loop.deframer.process(buffer) { message, credit in
                owed += stream.deliver(.message(GRPCNIOTransportBytes(message.readableBytesView)), credit: credit)
            }
            owed += stream.addCredit(creditNow + padding)
            if owed > 0 { self.sendStreamCredit(owed, for: stream) }
        } catch {
            self.refuseMessage(on: stream, failure: error)
            return
        }
        if data.endStream { self.peerFinished(stream) }
    }

    // MARK: Draining the outbox

    /// Writes every queued part, coalescing consecutive messages of a stream into one DATA frame,
    /// then flushes once.
    func drainOutbox() {
        var pending: PendingData?
        for (stream, part) in self.core.takeOutbox() {
            if case .message(let bytes) = part {
                if pending?.stream !== stream {
                    self.writeData(&pending, endStream: false)
                    pending = PendingData(stream: stream, allocator: self.context?.channel.allocator)
                }
                pending!.append(bytes)
                continue
            }
            let isEnd: Bool
            if case .end = part { isEnd = true } else { isEnd = false }
            let sameStream = pending?.stream === stream
            self.writeData(&pending, endStream: isEnd && sameStream && self.isClient, last: sameStream && part.isLast)
            if isEnd && stream.loop.sentEnd && self.isClient { continue }
            self.write(part, of: stream)
        }
        self.writeData(&pending, endStream: false)
        self.flushIfNeeded()
        LoopPoller.keepPolling(self.core.eventLoop, for: self.pollWindow)
    }

    var isClient: Bool {
        if case .client = self.role { return true }
        return false
    }

    private func write(_ part: OutboundPart, of stream: StreamCore) {
        switch self.role {
        case .server:
            self.serverWrite(part, of: stream)
        case .client(let role):
            self.clientWrite(part, of: stream, authority: role.authority)
        }
    }

    /// Writes the coalesced messages as one DATA frame. `last`: the stream's writer has written its
    /// last part, so none waits for these bytes to leave; they are counted out now rather than by a
    /// promise kept once they are written (a unary call then makes no promise).
    private func writeData(_ pending: inout PendingData?, endStream: Bool, last: Bool = false) {
        guard let data = pending else { return }
        pending = nil
        let stream = data.stream
        guard let id = stream.loop.streamID, !stream.loop.sentEnd, self.streams[id] === stream else {
            stream.outboundWritten(data.messageBytes)
            return
        }
        var promise: EventLoopPromise<Void>?
        if last {
            stream.outboundWritten(data.messageBytes)
        } else {
            promise = self.context?.eventLoop.makePromise(of: Void.self)
            promise?.futureResult.whenComplete { _ in stream.outboundWritten(data.messageBytes) }
        }
        if endStream { stream.loop.sentEnd = true }
        self.write(
            HTTP2Frame(streamID: id, payload: .data(.init(data: .byteBuffer(data.buffer), endStream: endStream))),
            promise: promise
        )
    }

    /// Whether every open stream is a background one (a client's connection has none).
    private var onlyBackgroundStreamsLeft: Bool {
        guard case .server(let role) = self.role else { return self.streams.isEmpty }
        return self.streams.values.allSatisfy { role.backgroundPaths.contains($0.path) }
    }

    /// Closes the connection once it's draining and no streams are left but background ones,
    /// which end with it.
    func closeIfDrained() {
        guard self.draining, !self.isClosed, let context = self.context, self.onlyBackgroundStreamsLeft else {
            return
        }
        // Close on a later tick: this may run inside the HTTP/2 handler's write of the last stream's
        // final frame, which must reach the socket first.
        self.isClosed = true
        context.eventLoop.assumeIsolated().execute {
            guard let context = self.context else { return }
            self.needsFlush = false
            context.flush()
            self.core.closing.set(())
            context.close(promise: nil)
        }
    }
}

/// Messages of one stream waiting to go out as a single DATA frame.
struct PendingData {
    let stream: StreamCore
    var buffer: ByteBuffer
    var messageBytes = 0

    init(stream: StreamCore, allocator: ByteBufferAllocator?) {
        self.stream = stream
        self.buffer = (allocator ?? ByteBufferAllocator()).buffer(capacity: 0)
    }

    mutating func append(_ bytes: GRPCNIOTransportBytes) {
        self.buffer.writeGRPCMessage(bytes)
        self.messageBytes += bytes.wireSize
    }
}

/// A new RPC on a server connection, handed to the transport's task.
struct AcceptedStream: Sendable {
    var stream: StreamCore
    var descriptor: MethodDescriptor
}
