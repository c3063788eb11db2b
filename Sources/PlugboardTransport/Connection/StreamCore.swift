internal import GRPCCore
internal import NIOCore
internal import NIOHTTP2
internal import Synchronization

/// One gRPC call on a connection, shared by the event loop and the tasks reading and writing it.
///
/// The locked state holds what both sides touch (inbound parts, outbound back-pressure);
/// everything else is owned by the event loop and only touched there.
final class StreamCore: @unchecked Sendable {
    typealias ReadWaiter = UnsafeContinuation<InboundPart?, any Error>
    typealias WriteWaiter = UnsafeContinuation<Void, any Error>

    struct Shared {
        var inbound: InboundBufferStateMachine<InboundPart, ReadWaiter>
        /// Message bytes handed to the event loop and not yet written to the socket.
        var outboundPending = 0
        var writeWaiter: WriteWaiter?
        /// Set once writes can no longer succeed.
        var outboundError: RPCError?
        /// Set once the writer finished; later writes are dropped.
        var outboundFinished = false
        var cancellation: ServerContext.RPCCancellationHandle?
        var cancelled = false
        /// Client: the status the server sent; once it is here, the server is done with the stream.
        var status: Status?
        /// Client: what a ``WatchedCall`` is told at the end, with the status: messages written
        /// and delivered.
        var messagesSent = 0
        var messagesReceived = 0
    }

    let connection: ConnectionCore
    let shared: Mutex<Shared>

    /// The `:path` of the method called.
    let path: String
    /// Client: the watched call this stream carries, which may add to the request metadata.
    let watched: (any WatchedCall)?

    /// What only the event loop touches.
    struct LoopState {
        var streamID: HTTP2StreamID?
        var deframer: MessageDeframer
        var sentHeaders = false
        /// END_STREAM or RST_STREAM was sent.
        var sentEnd = false
        /// Client: response headers were received.
        var receivedHeaders = false
        /// The peer sent END_STREAM or RST_STREAM.
        var receivedEnd = false
        /// Client: the reader was given a status (the last part it gets).
        var deliveredStatus = false
    }

    private var loopState: LoopState

    /// The event loop's state of the stream; debug builds check that only the loop touches it.
    var loop: LoopState {
        _read {
            self.connection.eventLoop.assertInEventLoop()
            yield self.loopState
        }
        _modify {
            self.connection.eventLoop.assertInEventLoop()
            yield &self.loopState
        }
    }

    init(connection: ConnectionCore, path: String, watched: (any WatchedCall)? = nil) {
        self.connection = connection
        self.path = path
        self.watched = watched
        self.loopState = LoopState(deframer: MessageDeframer(maxMessageSize: connection.config.maxReceiveMessageSize))
        self.shared = Mutex(
            Shared(inbound: InboundBufferStateMachine(creditBatch: connection.config.streamWindowSize / 4))
        )
    }
}

// MARK: - Reading (any thread)

extension StreamCore {
    /// The next inbound part, or `nil` once the peer finished. It runs where its caller runs: a
    /// hop here would cost a lock on the task's executor preference for every message.
    nonisolated(nonsending) func nextPart() async throws -> InboundPart? {
        // Fast path: a part is already here, no suspension.
        switch self.shared.withLock({ $0.inbound.next(parking: nil) }) {
        case .part(let part, let credit):
            if credit > 0 { self.connection.sendCredit(credit, for: self) }
            return part
        case .finished:
            return nil
        case .failed(let error):
            throw error
        case .parked, .empty:
            break
        }
        if Task.isCancelled { throw Self.readCancelled }
        return try await withTaskCancellationHandler {
            try await withUnsafeThrowingContinuation { (waiter: ReadWaiter) in
                switch self.shared.withLock({ $0.inbound.next(parking: waiter) }) {
                case .part(let part, let credit):
                    if credit > 0 { self.connection.sendCredit(credit, for: self) }
                    waiter.resume(returning: part)
                case .finished:
                    waiter.resume(returning: nil)
                case .failed(let error):
                    waiter.resume(throwing: error)
                case .parked, .empty:
                    break
                }
            }
        } onCancel: {
            self.shared.withLock { $0.inbound.cancelWaiter() }?.resume(throwing: Self.readCancelled)
        }
    }

    private static let readCancelled = RPCError(
        code: .cancelled,
        message: "The task reading this RPC's messages was cancelled."
    )
}

// MARK: - Writing (any thread)

extension StreamCore {
    /// How many parts a writer on the event loop queues before it lets the loop write them (of
    /// 32, 128, 512 and 2,048, 512 moved pipelined streams fastest both ways).
    static let partsBeforeYield = 512

    /// Hands `part` to the event loop, waiting only if too many bytes are already queued. It runs
    /// where its caller runs, as ``nextPart()`` does.
    nonisolated(nonsending) func write(_ part: OutboundPart) async throws {
        var part = part
        if case .metadata(var metadata) = part, let watched = self.watched {
            watched.sending(&metadata)
            part = .metadata(metadata)
        }
        let size = part.size
        let high = self.connection.config.outboundHighWatermark
        let mustWait: Bool? = try self.shared.withLock { (shared) throws(RPCError) -> Bool? in
            if let error = shared.outboundError { throw error }
            if shared.outboundFinished { return nil }
            switch part {
            case .status: shared.outboundFinished = true
            case .message: shared.messagesSent += 1
            default: ()
            }
            shared.outboundPending += size
            return shared.outboundPending > high
        }
        // A writer that outlived its call (GRPCCore's request task, say, scheduled after the call
        // was cancelled) must not open the stream that the call's end already gave up.
        guard let mustWait else { return }
        let queued = self.connection.enqueue(self, part)
        if queued >= Self.partsBeforeYield, self.connection.eventLoop.inEventLoop {
            // A writer on the event loop holds it until it waits: without this, a stream's messages
            // would all queue up before the first of them was written, and the peer would sit
            // idle meanwhile. The drain scheduled with the first part runs before the writer again.
            await Task.yield()
        }
        if mustWait {
            try await withUnsafeThrowingContinuation { (waiter: WriteWaiter) in
                let resumeNow: Result<Void, RPCError>? = self.shared.withLock { shared in
                    if let error = shared.outboundError { return .failure(error) }
                    if shared.outboundPending <= high { return .success(()) }
                    shared.writeWaiter = waiter
                    return nil
                }
                if let resumeNow { waiter.resume(with: resumeNow.mapError { $0 as any Error }) }
            }
        }
    }

    /// The writer is done; `part` is `.end` or `.abort`. Never throws, never waits.
    func finishWriting(_ part: OutboundPart) {
        let send = self.shared.withLock { shared -> Bool in
            defer { shared.outboundFinished = true }
            if case .abort = part, shared.status != nil, shared.outboundFinished { return false }
            return shared.outboundError == nil
        }
        if send { self.connection.enqueue(self, part) }
    }

    /// The event loop wrote `bytes` of this stream's messages to the socket (or dropped them).
    func outboundWritten(_ bytes: Int) {
        let low = self.connection.config.outboundHighWatermark / 2
        let waiter = self.shared.withLock { shared -> WriteWaiter? in
            shared.outboundPending -= bytes
            guard shared.outboundPending <= low else { return nil }
            defer { shared.writeWaiter = nil }
            return shared.writeWaiter
        }
        waiter?.resume()
    }
}

// MARK: - Watching

extension StreamCore {
    /// Tells the watched call what this stream carried.
    func reportCarried() {
        guard let watched = self.watched else { return }
        let (sent, received, status) = self.shared.withLock { ($0.messagesSent, $0.messagesReceived, $0.status) }
        watched.carried(sent: sent, received: received, status: status)
    }
}

// MARK: - Event loop side

extension StreamCore {
    /// Delivers metadata or a status, which take no window.
    func deliver(_ part: InboundPart) {
        let owed = self.deliver(part, credit: 0)
        assert(owed == 0, "A part that takes no window released some.")
    }

    /// Delivers an inbound message, whose `credit` bytes of window are returned once the reader
    /// takes it. Returns the window owed to the peer now, for the caller to send: a loop still
    /// inside this stream's ``loop`` state (its deframer) must not send from here, since sending
    /// reads that state.
    func deliver(_ part: InboundPart, credit: Int) -> Int {
        let action = self.shared.withLock { shared in
            switch part {
            case .status(let status, _): shared.status = status
            case .message: shared.messagesReceived += 1
            case .metadata: ()
            }
            return shared.inbound.receive(part, credit: credit)
        }
        switch action {
        case .resume(let waiter, let part, let credit):
            waiter.resume(returning: part)
            return credit
        case .buffered, .dropped:
            return 0
        }
    }

    /// Credit for bytes that don't wait for the reader (partial messages, padding); returns the
    /// window owed to the peer now, which the caller sends.
    func addCredit(_ credit: Int) -> Int {
        guard credit > 0 else { return 0 }
        return self.shared.withLock { $0.inbound.addCredit(credit) }
    }

    /// The peer finished sending: the reader sees the end after the buffered parts.
    func finishInbound() {
        self.shared.withLock { $0.inbound.finish(.finished) }?.resume(returning: nil)
    }

    /// The stream is over abnormally: reads and writes fail with `error`, and a server handler's
    /// cancellation handle fires.
    func terminate(_ error: RPCError, dropBufferedParts: Bool) {
        let (reader, writer, handle) = self.shared.withLock { shared in
            let reader =
                dropBufferedParts ? shared.inbound.fail(error) : shared.inbound.finish(.failed(error))
            if shared.outboundError == nil { shared.outboundError = error }
            shared.cancelled = true
            defer { shared.writeWaiter = nil }
            return (reader, shared.writeWaiter, shared.cancellation)
        }
        reader?.resume(throwing: error)
        writer?.resume(throwing: error)
        handle?.cancel()
    }

    /// Writes can no longer succeed (the local side finished or the stream closed).
    func closeOutbound(_ error: RPCError) {
        let writer = self.shared.withLock { shared in
            if shared.outboundError == nil { shared.outboundError = error }
            defer { shared.writeWaiter = nil }
            return shared.writeWaiter
        }
        writer?.resume(throwing: error)
    }

    /// Server: attaches the RPC's cancellation handle, firing it if the stream is already gone.
    func setCancellationHandle(_ handle: ServerContext.RPCCancellationHandle) {
        let cancelled = self.shared.withLock { shared in
            shared.cancellation = handle
            return shared.cancelled
        }
        if cancelled { handle.cancel() }
    }
}
