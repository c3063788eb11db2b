internal import GRPCCore
internal import NIOCore
internal import NIOPosix
internal import PlugboardCore
internal import Synchronization

/// The mutable part of a lean server: its listener and live connections.
final class ServerState: Sendable {
    let methods = Mutex<[String: MethodDescriptor]>([:])
    /// Calls accepted and not yet finished, on every connection, background streams left out.
    let calls = CallCount()
    let bound: EventLoopPromise<Void> = MultiThreadedEventLoopGroup.singleton.any().makePromise()

    private struct State {
        var listener: (any Channel)?
        var connections: [ObjectIdentifier: ConnectionCore] = [:]
        var shuttingDown = false
    }

    private let state = Mutex(State())

    deinit {
        self.bound.succeed()
    }

    /// Records the listener; `false` if shutdown already began.
    func listening(_ channel: any Channel) -> Bool {
        self.state.withLock { state in
            if state.shuttingDown { return false }
            state.listener = channel
            return true
        }
    }

    /// Records a connection; `false` if shutdown already began.
    func accepted(_ core: ConnectionCore) -> Bool {
        self.state.withLock { state in
            if state.shuttingDown { return false }
            state.connections[ObjectIdentifier(core)] = core
            return true
        }
    }

    func closed(_ core: ConnectionCore) {
        _ = self.state.withLock { $0.connections.removeValue(forKey: ObjectIdentifier(core)) }
    }

    /// Stops accepting, sends GOAWAY on every connection; they close once their streams finish.
    func beginGracefulShutdown() {
        let (listener, connections) = self.state.withLock { state in
            state.shuttingDown = true
            return (state.listener, Array(state.connections.values))
        }
        listener?.close(promise: nil)
        for core in connections {
            core.eventLoop.execute { core.handler?.beginGracefulShutdown() }
        }
    }

    /// Runs `action` once each connection open now is closing, on the thread that closes the last
    /// (or at once, when none is open).
    func whenConnectionsClose(_ action: @escaping @Sendable () -> Void) {
        let connections = self.state.withLock { Array($0.connections.values) }
        let countdown = Countdown(connections.count + 1, action)
        for core in connections { core.closing.whenSet { countdown.step() } }
        countdown.step()
    }

    /// Closes the listener and every connection at once.
    func closeAll() {
        let (listener, connections) = self.state.withLock { state in
            state.shuttingDown = true
            return (state.listener, Array(state.connections.values))
        }
        listener?.close(promise: nil)
        for core in connections {
            core.eventLoop.execute { core.handler?.context?.close(promise: nil) }
        }
    }
}

/// Runs an action when the last of a number of steps is taken.
private final class Countdown: Sendable {
    private let remaining: Atomic<Int>
    private let action: @Sendable () -> Void

    init(_ steps: Int, _ action: @escaping @Sendable () -> Void) {
        self.remaining = Atomic(steps)
        self.action = action
    }

    func step() {
        if self.remaining.subtract(1, ordering: .acquiringAndReleasing).newValue == 0 { self.action() }
    }
}

/// How many calls a server has accepted and not finished: counted on the event loop when a
/// stream's request headers arrive, uncounted when its handler returns. A stream dropped before
/// its handler ran stays counted, so the count errs high, never low.
final class CallCount: Sendable {
    private let value = Atomic(0)

    var current: Int { self.value.load(ordering: .acquiring) }

    func started() { self.value.add(1, ordering: .releasing) }

    func finished() { self.value.subtract(1, ordering: .releasing) }
}
