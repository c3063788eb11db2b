public import GRPCCore
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
    public let client: GRPCClient<UnixSocketTransport.AnyClient>
    /// The transport under `client`, for a supervisor's calls.
    let transport: UnixSocketTransport.AnyClient
    /// The process and its stderr, for errors that explain a death.
    let process: PluginProcess
}

/// A started plugin process and what it wrote to stderr.
struct PluginProcess: Sendable {
    let child: ChildProcess
    let stderr: StderrForwarder
}
