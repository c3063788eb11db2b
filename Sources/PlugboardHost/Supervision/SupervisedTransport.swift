public import GRPCCore
import PlugboardCore
public import PlugboardTransport
package import ProtobufC

/// The transport behind ``PluginSupervisor/client``: each call goes to the plugin instance that is
/// ready when it starts, or waits (up to its deadline) for the next one while the plugin restarts.
/// Calls without a deadline get the policy's `defaultDeadline`.
public struct SupervisedTransport: ClientTransport {
    public typealias Bytes = UnixSocketTransport.Client.Bytes

    let gate: ReadinessGate
    let defaultDeadline: Duration
    let shutdown: OnceValue<Void>
    /// Watches each call from its start here, across the instances it may try, to its end.
    let watcher: (any CallWatcher)?

    init(gate: ReadinessGate, defaultDeadline: Duration, watcher: (any CallWatcher)?) {
        self.gate = gate
        self.defaultDeadline = defaultDeadline
        self.shutdown = OnceValue()
        self.watcher = watcher
    }

    public var retryThrottle: RetryThrottle? { nil }

    /// Runs until ``beginGracefulShutdown()``; each instance's connection is run by its supervisor.
    public func connect() async throws {
        _ = await self.shutdown.wait()
    }

    public func beginGracefulShutdown() {
        self.shutdown.set(())
    }

    /// Runs the call on the instance that is ready, or on the next one; the watcher sees it from
    /// its start here, across the instances it tries, to its end.
    public func withStream<T: Sendable>(
        descriptor: MethodDescriptor,
        options: CallOptions,
        _ closure: (RPCStream<Inbound, Outbound>, ClientContext) async throws -> T
    ) async throws -> T {
        try await self.withStream(descriptor: descriptor, options: options, ending: nil, closure)
    }

    /// `withStream`, the stream ended at `streamDeadline` if one is given (a direct call's).
    private func withStream<T: Sendable>(
        descriptor: MethodDescriptor,
        options: CallOptions,
        ending streamDeadline: StreamDeadline?,
        _ closure: (RPCStream<Inbound, Outbound>, ClientContext) async throws -> T
    ) async throws -> T {
        // Give up a little before the caller's deadline (a fifth of it, 1 to 250 ms), so the
        // caller sees why (the plugin was not ready) rather than GRPCCore's bare "timed out",
        // which wins only when this task is scheduled that much late (100 ms was not enough on
        // 2 busy cores).
        let deadline = options.timeout.map {
            ContinuousClock.now + $0 - min(max($0 / 5, .milliseconds(1)), .milliseconds(250))
        }
        return try await self.watcher.watching(descriptor) { watched in
            var excluded: String?
            while true {
                let plugin: RunningPlugin
                do {
                    plugin = try await self.gate.plugin(before: deadline, excluding: excluded)
                } catch let error as PluginError {
                    let code: RPCError.Code = error.code == .notReady ? .deadlineExceeded : .unavailable
                    throw RPCError(code: code, message: "\(error)", cause: error)
                }
                var sent = false
                do {
                    return try await plugin.transport.withStream(
                        descriptor: descriptor, options: options, watched: watched, deadline: streamDeadline
                    ) {
                        stream, context in
                        sent = true
                        return try await closure(stream, context)
                    }
                } catch let error as RPCError where !sent && [.unavailable, .failedPrecondition].contains(error.code) {
                    // The instance's connection closed, or its transport shut down, before the
                    // call went out: the plugin is going away. Nothing was sent, so the call
                    // waits for the next instance instead.
                    excluded = plugin.socketPath
                }
            }
        }
    }

    public func config(forMethod descriptor: MethodDescriptor) -> MethodConfig? {
        MethodConfig(names: [], timeout: self.defaultDeadline)
    }
}

/// A supervisor's generated clients make unary calls straight on this transport, past the
/// `GRPCClient`'s executor, as a `PluginHost` client's do (``PluginSupervisor`` opens the route).
extension SupervisedTransport: DirectCallTransport {
    package var takesCalls: Bool { self.shutdown.value == nil }

    package var largestInlineRequest: Int {
        UnixSocketTransport.Client.largestInlineRequest(RunningPlugin.transportConfig)
    }

    package var timesDeadlines: Bool { true }

    package func withStream<T: Sendable>(
        descriptor: MethodDescriptor,
        options: CallOptions,
        deadline: CallDeadline,
        _ closure: (RPCStream<Inbound, Outbound>, ClientContext) async throws -> T
    ) async throws -> T {
        try await self.withStream(
            descriptor: descriptor, options: options, ending: StreamDeadline(deadline), closure)
    }
}
