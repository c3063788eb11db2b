internal import GRPCCore
internal import NIOCore
internal import NIOPosix
internal import PlugboardCore
internal import Synchronization

/// The mutable part of a lean server: its listener and live connections.
final class ServerState: Sendable {
    let methods = Mutex<[String: MethodDescriptor]>([:])
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
