/// What a plugin says about itself when run with `--describe`: a JSON object the host reads before
/// starting it (like Kong's `query_cmd`), to refuse conflicts and versions it cannot speak.
public struct PluginDescription: Codable, Hashable, Sendable {
    /// The plugin's name, such as `ratelimit-plugin`.
    public var name: String
    /// The plugin's own version, such as `1.2.0`.
    public var version: String
    /// The service sets it serves.
    public var serviceSets: [ServiceSetDescription]
    /// The app protocol versions it speaks (go-plugin's `PLUGIN_PROTOCOL_VERSIONS`).
    public var appProtocolVersions: [Int]

    public init(name: String, version: String, serviceSets: [ServiceSetDescription], appProtocolVersions: [Int]) {
        self.name = name
        self.version = version
        self.serviceSets = serviceSets
        self.appProtocolVersions = appProtocolVersions
    }

    /// The argument that makes a plugin print its description and exit.
    public static let argument = "--describe"
}

/// A service set: a named group of gRPC services from one proto package, with a version.
public struct ServiceSetDescription: Codable, Hashable, Sendable {
    /// The set's name, such as `ratelimit`; at most one loaded plugin may serve each name.
    public var name: String
    /// The set's semantic version, such as `1.0.0`.
    public var version: String
    /// The full names of its gRPC services, such as `ratelimit.v1.RateLimiter`.
    public var services: [String]

    public init(name: String, version: String, services: [String]) {
        self.name = name
        self.version = version
        self.services = services
    }
}
