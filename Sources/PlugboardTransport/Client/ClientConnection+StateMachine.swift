package import GRPCCore

/// Whether a lean client has a connection for new streams, and who is waiting for one.
///
/// A plain value type with no I/O; ``UnixSocketTransport/Client`` runs it under a lock.
package struct ClientConnectionStateMachine<Connection, Waiter> {
    private enum State {
        /// No connection yet; the first attempt hasn't finished.
        case connecting
        case ready(Connection)
        /// The last attempt failed (or the connection dropped); another will follow.
        case failed(RPCError)
        /// No new streams: graceful shutdown began, or `connect()` ended.
        case closed
    }

    private var state = State.connecting
    private var waiters: [Int: (waiter: Waiter, waitForReady: Bool)] = [:]
    private var nextWaiterID = 0
    package private(set) var activeStreams = 0
    private(set) var isShuttingDown = false

    package init() {}

    package enum OnOpen {
        case use(Connection)
        case wait(id: Int)
        case fail(RPCError)
    }

    /// A call wants a stream. With a `waiter`, it's parked if no connection is ready.
    package mutating func openStream(waitForReady: Bool?, waiter: Waiter?) -> OnOpen {
        switch self.state {
        case .ready(let connection):
            self.activeStreams += 1
            return .use(connection)
        case .closed:
            return .fail(
                RPCError(code: .failedPrecondition, message: "The client transport is shutting down or was shut down."))
        case .failed(let error) where waitForReady != true:
            return .fail(error)
        case .connecting, .failed:
            guard let waiter else { return .wait(id: -1) }
            let id = self.nextWaiterID
            self.nextWaiterID += 1
            self.waiters[id] = (waiter, waitForReady == true)
            return .wait(id: id)
        }
    }

    /// A parked call was cancelled; returns its waiter if it was still parked.
    mutating func cancelWaiter(id: Int) -> Waiter? {
        self.waiters.removeValue(forKey: id)?.waiter
    }

    /// A connection is up: returns the parked calls, which now each hold a stream.
    package mutating func connected(_ connection: Connection) -> [Waiter] {
        guard case .closed = self.state else {
            self.state = .ready(connection)
            let woken = self.waiters.values.map { $0.waiter }
            self.activeStreams += woken.count
            self.waiters.removeAll()
            return woken
        }
        return []
    }

    /// The attempt failed or the connection is gone: returns parked calls that won't wait.
    package mutating func disconnected(_ error: RPCError) -> [Waiter] {
        if case .closed = self.state { return [] }
        self.state = .failed(error)
        let failing = self.waiters.filter { !$0.value.waitForReady }
        for id in failing.keys { self.waiters.removeValue(forKey: id) }
        return failing.values.map { $0.waiter }
    }

    /// A stream finished. Returns `true` if the transport should now close.
    package mutating func streamFinished() -> Bool {
        self.activeStreams -= 1
        return self.isShuttingDown && self.activeStreams == 0
    }

    /// No new streams from now on. Returns every parked call (to fail) and whether the transport
    /// can close at once.
    package mutating func close() -> (waiters: [Waiter], closeNow: Bool) {
        self.isShuttingDown = true
        self.state = .closed
        let waiters = self.waiters.values.map { $0.waiter }
        self.waiters.removeAll()
        return (waiters, self.activeStreams == 0)
    }
}
