import PlugboardCore
import Synchronization

/// Where calls through a supervisor find the plugin instance that serves them: the instance that is
/// ready now, or (while it restarts) a wait for the next one, or the reason none will come.
final class ReadinessGate: Sendable {
    fileprivate struct State {
        var current: RunningPlugin?
        var closed: PluginError?
        var state: SupervisorState = .idle
        var readies = 0
        var nextWaiter = 0
        var waiters: [Int: CheckedContinuation<RunningPlugin, any Error>] = [:]
    }

    private let shared = Mutex(State())

    /// The supervisor's state, as of its last event.
    var state: SupervisorState { self.shared.withLock { $0.state } }

    /// The ready instance, if any.
    var current: RunningPlugin? { self.shared.withLock { $0.current } }

    /// How many instances have been published.
    var readies: Int { self.shared.withLock { $0.readies } }

    func record(_ state: SupervisorState) { self.shared.withLock { $0.state = state } }

    /// Lets calls through to `plugin`, including those waiting.
    func publish(_ plugin: RunningPlugin) {
        let waiters = self.shared.withLock { shared in
            shared.current = plugin
            shared.readies += 1
            defer { shared.waiters = [:] }
            return shared.waiters.values
        }
        waiters.forEach { $0.resume(returning: plugin) }
    }

    /// New calls wait again (the instance is going away).
    func withdraw() { self.shared.withLock { $0.current = nil } }

    /// No instance will come again: waiting and future calls fail with `error`.
    func close(_ error: PluginError) {
        let waiters = self.shared.withLock { shared in
            shared.current = nil
            shared.closed = shared.closed ?? error
            defer { shared.waiters = [:] }
            return shared.waiters.values
        }
        waiters.forEach { $0.resume(throwing: error) }
    }

    /// The live ready instance, or the next one to become ready; waits no later than `deadline`.
    /// An instance on the socket `excluded` (one that just refused a call) does not count.
    ///
    /// - Throws: ``PluginError`` (`notReady`) when the deadline comes first, or the error the gate
    ///   was closed with; `CancellationError` if the task is cancelled.
    func plugin(before deadline: ContinuousClock.Instant?, excluding excluded: String? = nil) async throws
        -> RunningPlugin
    {
        if let plugin = try self.live(excluding: excluded) { return plugin }
        guard let deadline else { return try await self.next(excluding: excluded) }
        return try await withThrowingTaskGroup(of: RunningPlugin?.self) { group in
            group.addTask { try await self.next(excluding: excluded) }
            group.addTask {
                try await Task.sleep(until: deadline, tolerance: .zero)
                return nil
            }
            defer { group.cancelAll() }
            if let plugin = try await group.next() ?? nil { return plugin }
            throw PluginError(
                code: .notReady,
                message:
                    "The call waited for the plugin to come back from a restart (state: \(self.state)) until its deadline passed; it was not sent. Give the call a longer deadline, or check why the plugin restarts."
            )
        }
    }

    private func live(excluding excluded: String?) throws -> RunningPlugin? {
        try self.shared.withLock { shared throws -> RunningPlugin? in
            if let closed = shared.closed { throw closed }
            return shared.usable(excluding: excluded)
        }
    }

    private func next(excluding excluded: String?) async throws -> RunningPlugin {
        let id = self.shared.withLock { shared -> Int in
            shared.nextWaiter += 1
            return shared.nextWaiter
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                let ready: Result<RunningPlugin, any Error>? = self.shared.withLock { shared in
                    if let closed = shared.closed { return .failure(closed) }
                    if Task.isCancelled { return .failure(CancellationError()) }
                    if let current = shared.usable(excluding: excluded) { return .success(current) }
                    shared.waiters[id] = continuation
                    return nil
                }
                if let ready { continuation.resume(with: ready) }
            }
        } onCancel: {
            let waiter = self.shared.withLock { $0.waiters.removeValue(forKey: id) }
            waiter?.resume(throwing: CancellationError())
        }
    }
}

extension ReadinessGate.State {
    /// The current instance, if its process runs and it is not on the `excluded` socket.
    fileprivate func usable(excluding excluded: String?) -> RunningPlugin? {
        guard let current, !current.process.handle.hasEnded, current.socketPath != excluded else { return nil }
        return current
    }
}
