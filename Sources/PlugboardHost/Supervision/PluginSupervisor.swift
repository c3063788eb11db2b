public import GRPCCore
public import Logging
import PlugboardCore
public import PlugboardObservability
import ProtobufC
public import ServiceLifecycle

/// Keeps one plugin running: starts it, health-checks it, restarts it with backoff when it
/// crashes, stops answering or loses its socket, and quarantines it when it crash-loops.
///
/// Run it as a swift-service-lifecycle `Service` (in a `ServiceGroup`, which stops it gracefully on
/// SIGTERM) and call the plugin through ``client``, which outlives restarts:
///
/// ```swift
/// let supervisor = PluginSupervisor(spec: PluginSpec(path: "assets/ratelimit-plugin"), logger: logger) { plugin in
///     // Runs after every start, before calls flow: re-apply state here.
///     _ = try await Ratelimit_V1_RateLimiter.Client(wrapping: plugin.client).applyRuleSet(rules)
/// }
/// let group = ServiceGroup(services: [supervisor], gracefulShutdownSignals: [.sigterm], logger: logger)
/// async let running: Void = group.run()
/// let rateLimit = Ratelimit_V1_RateLimiter.Client(wrapping: supervisor.client)
/// ```
///
/// A call made while the plugin restarts waits for it until the call's deadline; a call in flight
/// when the plugin dies fails at once with an error naming the plugin, how it ended and its last
/// stderr lines.
///
/// With a reattach record in its spec, the supervisor attaches to the running plugin instead of
/// starting it, and never restarts it: it did not start it. Its first failure (the process ends,
/// its socket disappears) quarantines it; failed health checks are only logged, since an attached
/// plugin is usually being debugged and may sit at a breakpoint.
public final class PluginSupervisor: Service, Sendable {
    /// Runs after every start, before calls are let through; a thrown error counts as a failed start.
    public typealias Prepare = @Sendable (RunningPlugin) async throws -> Void
    /// Runs alongside each ready instance and is cancelled when that instance goes away.
    public typealias WhileReady = @Sendable (RunningPlugin) async -> Void

    /// How the plugin is started.
    public let spec: PluginSpec
    /// How it is restarted, health-checked and timed out.
    public let policy: SupervisionPolicy
    /// The client for calls to the plugin; wrap it in a service set's generated client. It works
    /// across restarts and needs no `runConnections()` of its own.
    public let client: GRPCClient<SupervisedTransport>

    let logger: Logger
    let instrumentation: HostInstrumentation
    let prepare: Prepare
    let whileReady: WhileReady
    let gate = ReadinessGate()
    let broadcaster = EventBroadcaster()
    let stopRequest = OnceValue<Void>()
    /// Lets the generated clients wrapping ``client`` call ``SupervisedTransport`` directly.
    private let directRoute: DirectRoute

    /// - Parameters:
    ///   - spec: how the plugin is started.
    ///   - policy: how it is restarted, health-checked and timed out.
    ///   - observability: where calls and the plugin's life are reported (see `PluginObservability`).
    ///   - logger: where the supervisor logs the plugin's events, with its `plugin.name`.
    ///   - prepare: re-applies the caller's state (rule sets, subscriptions) after each start; a
    ///     trailing closure is this one.
    ///   - whileReady: holds what must stay open for as long as an instance lives, for example a
    ///     control stream; it is started again for each new instance.
    public init(
        spec: PluginSpec,
        policy: SupervisionPolicy = .standard,
        observability: PluginObservability = .system(),
        logger: Logger,
        prepare: @escaping Prepare = { _ in },
        whileReady: @escaping WhileReady = { _ in }
    ) {
        self.spec = spec
        self.policy = policy
        var logger = logger
        logger[metadataKey: "plugin.name"] = "\(spec.name)"
        self.logger = logger
        self.instrumentation = HostInstrumentation(
            plugin: spec.name, observability: observability, logger: logger, supervised: true)
        self.prepare = prepare
        self.whileReady = whileReady
        let transport = SupervisedTransport(
            gate: self.gate, defaultDeadline: policy.defaultDeadline, watcher: self.instrumentation.calls)
        self.client = GRPCClient(transport: transport)
        self.directRoute = DirectRoute.open(from: self.client, to: transport)
    }

    /// The state as of the last event.
    public var state: SupervisorState { self.gate.state }

    /// The ready instance (its pid, socket), if any.
    public var current: RunningPlugin? { self.gate.current }

    /// How many times the plugin was restarted and became ready again.
    public var restarts: Int { max(self.gate.readies - 1, 0) }

    /// The calls made through ``client`` so far: counts, errors and latencies.
    public var calls: CallSummary { self.instrumentation.calls.summary }

    /// Every event from now on, ending with `.stopped`. Subscribe before ``run()`` to see them all.
    public var events: AsyncStream<SupervisorEvent> { self.broadcaster.subscribe() }

    /// Supervises until graceful shutdown (or cancellation), then stops the plugin gracefully and
    /// returns. Sweeps socket directories left by hosts that died first.
    public func run() async throws {
        defer { self.directRoute.close() }
        let swept = PrivateDirectory.sweepStale()
        if !swept.isEmpty {
            self.logger.info("removed socket directories left by hosts that are gone", metadata: ["paths": "\(swept)"])
        }
        try await withThrowingDiscardingTaskGroup { group in
            group.addTask { try await self.client.runConnections() }
            await withTaskCancellationOrGracefulShutdownHandler {
                await self.supervise()
            } onCancelOrGracefulShutdown: {
                self.stopRequest.set(())
            }
            self.client.beginGracefulShutdown()
        }
    }

    func emit(_ event: SupervisorEvent) {
        self.gate.record(event.state)
        self.record(event)
        switch event {
        case .failed(let error), .quarantined(let error):
            self.logger.warning("plugin \(event)", metadata: error.logMetadata)
        case .restarting, .ready, .stopped:
            self.logger.info("plugin \(event)")
        case .starting, .stopping:
            self.logger.debug("plugin \(event)")
        }
        self.broadcaster.yield(event)
    }
}

extension PluginSupervisor {
    /// Reports `event` to the plugin's lifecycle metrics (after `gate` has recorded it).
    private func record(_ event: SupervisorEvent) {
        let metrics = self.instrumentation.lifecycle
        metrics.state(event.state.rawValue)
        switch event {
        case .ready(_, let startedIn): metrics.ready(after: startedIn, restart: self.gate.readies > 1)
        case .failed: metrics.failed()
        case .quarantined: metrics.quarantined()
        case .starting, .restarting, .stopping, .stopped: break
        }
    }
}

extension PluginError {
    /// The context fields as log metadata.
    var logMetadata: Logger.Metadata {
        var metadata: Logger.Metadata = ["error.code": "\(self.code)"]
        if let pid = self.pid { metadata["plugin.pid"] = "\(pid)" }
        if let termination = self.termination { metadata["plugin.exit"] = "\(termination)" }
        if !self.stderrTail.isEmpty {
            metadata["plugin.stderr"] = "\(self.stderrTail.suffix(5).joined(separator: " | "))"
        }
        return metadata
    }
}
