import PlugboardCore
import Synchronization

/// Why a plugin stops serving.
enum StopReason: String, Sendable {
    case shutdownRequested = "the host called GRPCController.Shutdown"
    case terminated = "SIGTERM"
    case interrupted = "SIGINT in a debugging session"
    case hostExited = "the host process exited"
    case gracefulShutdown = "the service group shut down gracefully"
    case serverEnded = "the gRPC server ended"
}

/// Fires once; every waiter, past and future, gets the first reason.
final class StopSignal: Sendable {
    private let reason = OnceValue<StopReason>()
    private let hook = Mutex<Hook>(Hook())
    private let idleExit = Mutex<(@Sendable () -> Void)?>(nil)

    private struct Hook {
        var action: (@Sendable () -> Void)?
        var fired = false
    }

    func trigger(_ reason: StopReason) {
        let action: (@Sendable () -> Void)?? = self.hook.withLock { hook in
            if hook.fired { return nil }
            hook.fired = true
            defer { hook.action = nil }
            return .some(hook.action)
        }
        guard let action else { return }
        action?()
        self.reason.set(reason)
    }

    /// Runs `action` once, on the thread that fires the signal, before the waiters wake (or at
    /// once, if it has fired): for what must not wait for a thread hop, such as refusing new calls
    /// while a `Shutdown` reply is written.
    func whenTriggered(_ action: @escaping @Sendable () -> Void) {
        let now = self.hook.withLock { hook in
            if !hook.fired { hook.action = action }
            return hook.fired
        }
        if now { action() }
    }

    /// Set by a plugin that exits when it stops: `exit` ends the process at once if no call but
    /// the one asking for the stop is in flight, and returns otherwise.
    func exitWhenIdle(_ exit: @escaping @Sendable () -> Void) {
        self.idleExit.withLock { $0 = exit }
    }

    /// A host's `Shutdown`: the process ends here, before its reply, if it exits when stopped and
    /// nothing else is in flight, as go-plugin's plugins end (the host sees the connection close,
    /// which hosts take as the reply); otherwise the stop fires.
    func shutdownRequested() {
        self.idleExit.withLock { $0 }?()
        self.trigger(.shutdownRequested)
    }

    /// The reason, once the signal fires; `nil` if the task is cancelled first.
    func wait() async -> StopReason? { await self.reason.wait() }

    /// Runs `body` until it returns or the signal fires, whichever is first.
    func race(_ body: @escaping @Sendable () async throws -> Void) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await body() }
            group.addTask { _ = await self.wait() }
            try await group.next()
            group.cancelAll()
        }
    }
}
