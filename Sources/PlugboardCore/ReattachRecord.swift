/// What a host needs to attach to a plugin that is already running instead of starting it
/// (go-plugin's `ReattachConfig`): the plugin's pid, its unix socket, its protocol and the app
/// protocol version it serves.
///
/// A Plugboard plugin run by hand with `--debug` prints one, keyed by its name, as the value of
/// ``environmentVariable``:
///
/// ```
/// PLUGBOARD_REATTACH='{"ratelimit-plugin":{"pid":4242,"address":"/tmp/plugboard-x1/plugin-4242.sock","protocol":"grpc","version":1}}'
/// ```
///
/// A go-plugin plugin prints its handshake line instead; ``init(pid:handshakeLine:killOnStop:)``
/// turns that line and the plugin's pid into a record. As JSON, `"handshake": "1|1|unix|…|grpc|"`
/// may stand for `address`, `protocol` and `version`.
public struct ReattachRecord: Codable, Hashable, Sendable {
    /// The plugin's process id. The process listening on ``socketPath`` must be exactly this one.
    public var pid: Int32
    /// The absolute path of the unix socket the plugin serves on (JSON `address`).
    public var socketPath: String
    /// The plugin's protocol (JSON `protocol`); Plugboard speaks only `grpc`.
    public var transportProtocol: String
    /// The app protocol version the plugin serves (JSON `version`); the host must accept it.
    public var appProtocolVersion: Int
    /// Whether the host stops the plugin when it is done with it (JSON `kill_on_stop`, default
    /// false): `Shutdown`, then SIGTERM, then SIGKILL, as for a plugin it started. Otherwise the
    /// host never signals a process it did not start.
    public var killOnStop: Bool

    /// A record from its fields; a host checks them, then the process and its socket, when it attaches.
    public init(
        pid: Int32, socketPath: String, transportProtocol: String = "grpc", appProtocolVersion: Int,
        killOnStop: Bool = false
    ) {
        self.pid = pid
        self.socketPath = socketPath
        self.transportProtocol = transportProtocol
        self.appProtocolVersion = appProtocolVersion
        self.killOnStop = killOnStop
    }

    /// The environment variable hosts read records from: a JSON object mapping plugin names to
    /// records, as a plugin run with `--debug` prints it.
    public static let environmentVariable = "PLUGBOARD_REATTACH"

    /// The argument that makes a Plugboard plugin serve for a debugging session and print its record.
    public static let debugArgument = "--debug"

    enum CodingKeys: String, CodingKey {
        case pid, socketPath = "address", transportProtocol = "protocol", appProtocolVersion = "version", killOnStop =
            "kill_on_stop"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.pid = try container.decode(Int32.self, forKey: .pid)
        self.socketPath = try container.decode(String.self, forKey: .socketPath)
        self.transportProtocol = try container.decode(String.self, forKey: .transportProtocol)
        self.appProtocolVersion = try container.decode(Int.self, forKey: .appProtocolVersion)
        self.killOnStop = try container.decodeIfPresent(Bool.self, forKey: .killOnStop) ?? false
    }

    /// Encodes the four fields a plugin prints, and `kill_on_stop` only when it is true.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(self.pid, forKey: .pid)
        try container.encode(self.socketPath, forKey: .socketPath)
        try container.encode(self.transportProtocol, forKey: .transportProtocol)
        try container.encode(self.appProtocolVersion, forKey: .appProtocolVersion)
        if self.killOnStop { try container.encode(true, forKey: .killOnStop) }
    }
}

extension ReattachRecord {
    /// Checks what can be checked without looking at the system: a positive pid, an absolute
    /// socket path that fits a unix socket address, protocol `grpc`, a positive version.
    ///
    /// - Throws: `PluginError` with code `invalidReattach`, or `netRPCRefused`/`unsupportedProtocol`
    ///   for another protocol.
    package func validate() throws(PluginError) {
        guard self.pid > 0 else {
            throw .invalidReattach("has the pid \(self.pid); a pid is a number above 0 (the plugin prints its own)")
        }
        guard self.socketPath.hasPrefix("/"), !self.socketPath.utf8.contains(0) else {
            throw .invalidReattach(
                "has the address \(Quoting.quote(self.socketPath)), which is not an absolute unix socket path")
        }
        guard self.socketPath.utf8.count <= HandshakeProblem.maximumSocketPathBytes else {
            throw .invalidReattach(
                "has an address of \(self.socketPath.utf8.count) bytes, more than a unix socket address holds (\(HandshakeProblem.maximumSocketPathBytes))"
            )
        }
        guard self.transportProtocol == Handshake.transportProtocol else {
            throw .reattachProtocolRefused(self.transportProtocol)
        }
        guard self.appProtocolVersion > 0 else {
            throw .invalidReattach(
                "has the version \(self.appProtocolVersion); app protocol versions are numbers above 0")
        }
    }
}
