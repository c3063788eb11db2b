public import PlugboardCore

/// How to start one plugin, or, with ``reattach``, how to attach to one already running.
public struct PluginSpec: Sendable, Hashable {
    /// The name used in logs and errors; defaults to the executable's file name.
    public var name: String
    /// The executable's absolute path.
    public var path: String
    /// Arguments after the executable's path.
    public var arguments: [String]
    /// Variables added to the host's own environment (they win over it).
    public var environment: [String: String]
    /// How long the plugin may take to print its handshake line, and then to answer its first
    /// health check (at least 10 s): a Plugboard plugin prints the line as soon as its socket
    /// listens and makes its services after.
    public var startTimeout: Duration
    /// The cookie and app protocol versions the host accepts.
    public var handshake: HandshakeConfig
    /// The executable's expected SHA-256 (lower-case hex), checked before every start; `nil` skips the check.
    public var sha256: String?
    /// go-plugin's AutoMTLS: host and plugin each make a one-time certificate at every start and
    /// accept only each other's, so a process that can reach the socket but holds neither key
    /// cannot call the plugin. Go plugins on go-plugin support it.
    public var autoMTLS: Bool
    /// A plugin already running (started by hand with `--debug`, say) to attach to instead of
    /// starting one: no spawn, no environment, no handshake line. The host checks that the
    /// record's pid listens on its socket, never restarts the plugin, and leaves it running when
    /// done unless the record says `killOnStop`. `arguments`, `environment`, `startTimeout` and
    /// `sha256` do not apply (the binary is not started); AutoMTLS cannot be combined with it.
    public var reattach: ReattachRecord?

    public init(
        path: String,
        name: String? = nil,
        arguments: [String] = [],
        environment: [String: String] = [:],
        startTimeout: Duration = .seconds(60),
        handshake: HandshakeConfig = .plugboard(appProtocolVersions: [1]),
        sha256: String? = nil,
        autoMTLS: Bool = false,
        reattach: ReattachRecord? = nil
    ) {
        self.path = path
        self.name = name ?? String(path.split(separator: "/").last ?? Substring(path))
        self.arguments = arguments
        self.environment = environment
        self.startTimeout = startTimeout
        self.handshake = handshake
        self.sha256 = sha256?.lowercased()
        self.autoMTLS = autoMTLS
        self.reattach = reattach
    }
}
