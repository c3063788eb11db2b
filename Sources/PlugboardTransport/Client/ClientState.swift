internal import GRPCCore
internal import NIOCore
internal import Synchronization

/// The mutable part of a lean client: its connection state and the channel to close.
final class ClientState: Sendable {
    typealias Waiter = UnsafeContinuation<ConnectionCore, any Error>

    private struct State {
        var machine = ClientConnectionStateMachine<ConnectionCore, Waiter>()
        var channel: (any Channel)?
        var core: ConnectionCore?
    }

    private let state = Mutex(State())
    /// Tasks pausing between reconnection attempts, woken when graceful shutdown begins.
    private let pauses = Mutex<(shutDown: Bool, nextID: Int, waiters: [Int: CheckedContinuation<Void, Never>])>(
        (false, 0, [:]))

    var isShuttingDown: Bool { self.state.withLock { $0.machine.isShuttingDown } }

    /// The connection new streams use, if there is one now.
    var connected: ConnectionCore? { self.state.withLock { $0.core } }

    /// A connection for a new stream, waiting for one if needed.
    func openStream(waitForReady: Bool?) async throws -> ConnectionCore {
        switch self.state.withLock({ $0.machine.openStream(waitForReady: waitForReady, waiter: nil) }) {
        case .use(let core): return core
        case .fail(let error): throw error
        case .wait: break
        }
        let id = Mutex<Int?>(nil)
        return try await withTaskCancellationHandler {
            try await withUnsafeThrowingContinuation { (waiter: Waiter) in
                let action = self.state.withLock { $0.machine.openStream(waitForReady: waitForReady, waiter: waiter) }
                switch action {
                case .use(let core): waiter.resume(returning: core)
                case .fail(let error): waiter.resume(throwing: error)
                case .wait(let waiterID):
                    id.withLock { $0 = waiterID }
                    if Task.isCancelled, let waiter = self.state.withLock({ $0.machine.cancelWaiter(id: waiterID) }) {
                        waiter.resume(throwing: CancellationError())
                    }
                }
            }
        } onCancel: {
            guard let waiterID = id.withLock({ $0 }) else { return }
            self.state.withLock { $0.machine.cancelWaiter(id: waiterID) }?.resume(
                throwing: RPCError(code: .cancelled, message: "The call was cancelled while waiting for a connection.")
            )
        }
    }

    func connected(_ core: ConnectionCore, channel: any Channel) {
        let waiters = self.state.withLock { state in
            state.channel = channel
            state.core = core
            return state.machine.connected(core)
        }
        for waiter in waiters { waiter.resume(returning: core) }
        if self.isShuttingDown { channel.close(promise: nil) }
    }

    /// The connection `core` can't take new streams (GOAWAY, or it closed).
    func draining(_ core: ConnectionCore) {
        let error =
            core.protocolViolation.map { RPCError(code: .unavailable, message: "\($0)", cause: $0) }
            ?? RPCError(
                code: .unavailable,
                message: "The connection to unix socket '\(core.socketPath)' is closing; retry the call."
            )
        let waiters = self.state.withLock { state -> [Waiter] in
            guard state.core === core else { return [] }
            return state.machine.disconnected(error)
        }
        for waiter in waiters { waiter.resume(throwing: error) }
    }

    func disconnected(_ error: RPCError) {
        let waiters = self.state.withLock { state in
            state.channel = nil
            state.core = nil
            return state.machine.disconnected(error)
        }
        for waiter in waiters { waiter.resume(throwing: error) }
    }

    func streamFinished() {
        let channel = self.state.withLock { state in
            state.machine.streamFinished() ? state.channel : nil
        }
        channel?.close(promise: nil)
    }

    func beginGracefulShutdown() {
        let (waiters, channel) = self.state.withLock { state in
            let (waiters, closeNow) = state.machine.close()
            return (waiters, closeNow ? state.channel : nil)
        }
        let error = RPCError(code: .failedPrecondition, message: "The client transport is shutting down.")
        for waiter in waiters { waiter.resume(throwing: error) }
        channel?.close(promise: nil)
        let paused = self.pauses.withLock { pauses in
            pauses.shutDown = true
            defer { pauses.waiters = [:] }
            return pauses.waiters.values
        }
        paused.forEach { $0.resume() }
    }

    /// Waits `duration` before the next connection attempt, or less if graceful shutdown begins
    /// (a host stopping a plugin that already closed its socket must not wait out the backoff).
    func pause(for duration: Duration) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { try? await Task.sleep(for: duration) }
            group.addTask { await self.shutdownBegun() }
            await group.next()
            group.cancelAll()
        }
    }

    private func shutdownBegun() async {
        let id = self.pauses.withLock { pauses -> Int in
            pauses.nextID += 1
            return pauses.nextID
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let resumeNow = self.pauses.withLock { pauses -> Bool in
                    if pauses.shutDown || Task.isCancelled { return true }
                    pauses.waiters[id] = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            self.pauses.withLock { $0.waiters.removeValue(forKey: id) }?.resume()
        }
    }
}
