public import GRPCCore
public import PlugboardBroker
public import PlugboardTransport

/// A plugin that has completed its handshake and answered a health check.
public struct RunningPlugin: Sendable {
    /// The name used in logs and errors.
    public let name: String
    /// The executable's path.
    public let path: String
    /// The process id.
    public let pid: Int32
    /// The app protocol version the plugin chose from the host's offer.
    public let negotiatedVersion: Int
    /// The unix socket the plugin serves on.
    public let socketPath: String
    /// The gRPC client connected to the plugin; wrap it in a service set's generated client.
    public let client: GRPCClient<UnixSocketTransport.Client>
    /// go-plugin's broker for this instance: serve services the plugin calls back, or dial ones it
    /// serves. Its servers stop when the instance does.
    public let broker: PluginBroker
    /// The transport under `client`, for a supervisor's calls.
    let transport: UnixSocketTransport.Client
    /// The configuration of every plugin's `transport`.
    static let transportConfig = UnixSocketTransport.Config.defaults
    /// The process and its stderr, for errors that explain a death.
    let process: PluginProcess
}

extension RunningPlugin {
    /// Runs `body` on the thread of the connection to the plugin (its event loop), so a call made
    /// from it starts and ends without a hop between threads: for a caller that makes its calls
    /// one after another (a sequential caller's latency is about 10% lower). Child tasks in its
    /// task groups run there too, one at a time: give fan-out work
    /// `addTask(executorPreference: globalConcurrentExecutor)`, and keep CPU-heavy work out,
    /// since the connection reads and writes on the same thread. Code isolated to an actor runs on
    /// that actor's executor as always. With no connection at the moment, `body` runs as it
    /// would without this.
    public func withCallsOnConnectionLoop<Result, Failure: Error>(
        isolation: isolated (any Actor)? = #isolation,
        _ body: () async throws(Failure) -> Result
    ) async throws(Failure) -> Result {
        try await withTaskExecutorPreference(self.transport.connectionExecutor, isolation: isolation, operation: body)
    }
}

/// A plugin's process (one the host started, or one it attached to) and what it wrote to stderr
/// (nothing is read from an attached one).
struct PluginProcess: Sendable {
    let handle: ProcessHandle
    let stderr: StderrForwarder
}
