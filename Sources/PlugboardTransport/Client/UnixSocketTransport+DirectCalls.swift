package import GRPCCore
package import ProtobufC

extension UnixSocketTransport.Client: DirectCallTransport {
    package var takesCalls: Bool { !self.state.isShuttingDown }

    package var largestInlineRequest: Int { Self.largestInlineRequest(self.config) }

    /// A write waits only once the stream has more than `outboundHighWatermark` bytes queued.
    package static func largestInlineRequest(_ config: UnixSocketTransport.Config) -> Int {
        min(32 * 1024, config.outboundHighWatermark)
    }

    /// On the connection's event loop (``CallDeadlines``).
    package var timesDeadlines: Bool { true }

    package func withStream<T: Sendable>(
        descriptor: MethodDescriptor,
        options: CallOptions,
        deadline: CallDeadline,
        _ closure: (RPCStream<Inbound, Outbound>, ClientContext) async throws -> T
    ) async throws -> T {
        try await self.watcher.watching(descriptor) { watched in
            try await self.withStream(
                descriptor: descriptor, options: options, watched: watched, deadline: StreamDeadline(deadline), closure)
        }
    }
}

/// When a client stream ends unless its call is done: what a direct call's ``CallDeadline``
/// becomes in the transport (whose calls' own code names no type of ProtobufC, so that other
/// modules can specialize it).
package struct StreamDeadline: Sendable {
    let instant: ContinuousClock.Instant
    /// What reads and writes fail with once it passes.
    let error: RPCError
    /// Told first, on the event loop.
    let passed: @Sendable () -> Void

    /// A direct call's deadline.
    package init(_ deadline: CallDeadline) {
        self.instant = deadline.instant
        self.error = CallDeadline.error
        self.passed = deadline.pass
    }
}
