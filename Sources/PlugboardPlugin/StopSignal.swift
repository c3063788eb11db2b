import PlugboardCore

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

    func trigger(_ reason: StopReason) { self.reason.set(reason) }

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
