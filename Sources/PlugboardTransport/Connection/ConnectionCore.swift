internal import GRPCCore
internal import NIOCore
internal import PlugboardCore
internal import Synchronization

/// What the tasks of a connection share with its event loop: the outbox of parts waiting to be
/// written, and the way to reach the connection's handler.
///
/// Writers append to the outbox from any thread; the first append after a drain schedules one
/// drain on the event loop, so a burst of writes costs one hop and one flush.
final class ConnectionCore: @unchecked Sendable {
    let eventLoop: any EventLoop
    let config: UnixSocketTransport.Config
    /// The socket path, for error messages.
    let socketPath: String
    /// Runs tasks on this connection's event loop.
    let taskExecutor: EventLoopTaskExecutor
    /// Set once the connection closes, or, for a drained server connection, once its last frames
    /// are flushed, just before it closes.
    let closing = OnceValue<Void>()

    private struct Outbox {
        var items: [(StreamCore, OutboundPart)] = []
        var drainScheduled = false
    }

    private let outbox = Mutex(Outbox())

    /// The connection's handler, `nil` once the channel is gone; debug builds check that only the
    /// event loop touches it.
    var handler: GRPCConnectionHandler? {
        get {
            self.eventLoop.assertInEventLoop()
            return self.loopHandler
        }
        set {
            self.eventLoop.assertInEventLoop()
            self.loopHandler = newValue
        }
    }
    nonisolated(unsafe) private var loopHandler: GRPCConnectionHandler?
    /// The deadlines of the calls on this connection that have one.
    let deadlines: CallDeadlines
    /// Set (on the event loop, before the channel closes) when the peer broke HTTP/2.
    private let violation = Mutex<HTTP2ProtocolViolation?>(nil)

    /// Why the connection was closed, if the peer broke HTTP/2; readable from any thread.
    var protocolViolation: HTTP2ProtocolViolation? {
        get { self.violation.withLock { $0 } }
        set { self.violation.withLock { $0 = newValue } }
    }

    init(eventLoop: any EventLoop, config: UnixSocketTransport.Config, socketPath: String) {
        self.eventLoop = eventLoop
        self.config = config
        self.socketPath = socketPath
        self.taskExecutor = EventLoopTaskExecutor(eventLoop: eventLoop)
        self.deadlines = CallDeadlines(eventLoop: eventLoop)
    }

    /// Queues `part` of `stream` for the event loop; returns how many parts are queued now.
    @discardableResult
    func enqueue(_ stream: StreamCore, _ part: OutboundPart) -> Int {
        let (schedule, queued) = self.outbox.withLock { outbox in
            outbox.items.append((stream, part))
            if outbox.drainScheduled { return (false, outbox.items.count) }
            outbox.drainScheduled = true
            return (true, outbox.items.count)
        }
        if schedule {
            self.eventLoop.execute { self.handler?.drainOutbox() ?? self.dropOutbox() }
        }
        return queued
    }

    /// Takes everything queued so far; event loop only.
    func takeOutbox() -> [(StreamCore, OutboundPart)] {
        self.outbox.withLock { outbox in
            outbox.drainScheduled = false
            var items: [(StreamCore, OutboundPart)] = []
            swap(&items, &outbox.items)
            return items
        }
    }

    /// The channel is gone: nothing queued can be written. Each stream with queued parts is failed
    /// too; a new stream whose HEADERS were queued here would otherwise never hear back, and its
    /// call would hang until its deadline (seen when a plugin was killed under load).
    private func dropOutbox() {
        let error =
            self.protocolViolation.map { RPCError(code: .unavailable, message: "\($0)", cause: $0) }
            ?? RPCError(
                code: .unavailable,
                message:
                    "The connection to unix socket '\(self.socketPath)' closed before the RPC finished; check that the peer process is still running."
            )
        var failed = Set<ObjectIdentifier>()
        for (stream, part) in self.takeOutbox() {
            if part.size > 0 { stream.outboundWritten(part.size) }
            if failed.insert(ObjectIdentifier(stream)).inserted {
                stream.terminate(error, dropBufferedParts: false)
            }
        }
    }

    /// A reader consumed messages worth `credit` bytes of window: tell the peer (hops to the loop).
    func sendCredit(_ credit: Int, for stream: StreamCore) {
        self.eventLoop.execute { self.handler?.sendStreamCredit(credit, for: stream) }
    }
}
