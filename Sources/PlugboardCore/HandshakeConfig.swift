/// What a host and a plugin must agree on before they talk: the magic cookie and the app protocol versions.
///
/// The host puts the cookie into the plugin's environment; the plugin refuses to serve unless it finds
/// exactly its own value there. The cookie is a usability feature ("this binary is a plugin"), not a
/// security measure. The app protocol versions are the versions of *your* service set that a side speaks;
/// the core protocol version (the go-plugin wire protocol itself) is always ``coreProtocolVersion``.
///
/// ```swift
/// let config = HandshakeConfig.plugboard(appProtocolVersions: [5, 6])
/// ```
public struct HandshakeConfig: Hashable, Sendable {
    /// The go-plugin core protocol version, the first field of the handshake line. Always `1`.
    public static let coreProtocolVersion = 1

    /// The cookie key Plugboard's own plugins and the Go test peers use.
    public static let plugboardCookieKey = "PLUGBOARD_PLUGIN"

    /// The cookie value Plugboard's own plugins and the Go test peers use.
    public static let plugboardCookieValue = "5b7c1d0e-plugboard"

    /// The environment variable name the cookie travels in.
    public var magicCookieKey: String

    /// The value the plugin expects in ``magicCookieKey``; compared exactly.
    public var magicCookieValue: String

    /// The app protocol versions this side speaks, in any order.
    public var appProtocolVersions: [Int]

    /// Creates a configuration from an app-defined cookie and the app protocol versions this side speaks.
    public init(magicCookieKey: String, magicCookieValue: String, appProtocolVersions: [Int]) {
        self.magicCookieKey = magicCookieKey
        self.magicCookieValue = magicCookieValue
        self.appProtocolVersions = appProtocolVersions
    }

    /// A configuration with Plugboard's default cookie (`PLUGBOARD_PLUGIN=5b7c1d0e-plugboard`).
    public static func plugboard(appProtocolVersions: [Int]) -> HandshakeConfig {
        HandshakeConfig(
            magicCookieKey: Self.plugboardCookieKey,
            magicCookieValue: Self.plugboardCookieValue,
            appProtocolVersions: appProtocolVersions
        )
    }
}

extension HandshakeConfig {
    /// What a Go plugin writes to stderr (before exiting 1) when it is started without the cookie.
    ///
    /// The Plugboard SDK writes the same text, so users see the same hint from Go and Swift plugins.
    package static let notAPluginMessage = """
        This binary is a plugin. These are not meant to be executed directly.
        Please execute the program that consumes these plugins, which will
        load any plugins automatically

        """

    /// The variables a host adds to the plugin's environment: the cookie and the offered versions.
    ///
    /// It also carries `PLUGIN_MIN_PORT`/`PLUGIN_MAX_PORT` with the Go host's defaults, which Unix plugins
    /// ignore but a Go host always sends. Add these after the host's own environment so they win.
    package var hostEnvironment: [String: String] {
        [
            self.magicCookieKey: self.magicCookieValue,
            PluginEnvironment.protocolVersions: VersionNegotiation.environmentValue(offering: self.appProtocolVersions),
            PluginEnvironment.minPort: "10000",
            PluginEnvironment.maxPort: "25000",
        ]
    }

    /// Checks, on the plugin side, that the host started this process with the right cookie.
    ///
    /// - Throws: ``PluginError/Code/cookieNotConfigured`` when this configuration has an empty key or value,
    ///   ``PluginError/Code/cookieMismatch`` when the environment lacks the cookie or holds another value.
    ///   The SDK then writes ``notAPluginMessage`` to stderr and exits with status 1, as Go plugins do.
    package func checkCookie(in environment: [String: String]) throws(PluginError) {
        guard !self.magicCookieKey.isEmpty, !self.magicCookieValue.isEmpty else {
            throw PluginError(
                code: .cookieNotConfigured,
                message: """
                    The plugin's handshake configuration has no magic cookie key or value. Set both, for \
                    example with HandshakeConfig.plugboard(appProtocolVersions:); this is a bug in the plugin.
                    """
            )
        }
        guard let found = environment[self.magicCookieKey] else {
            throw PluginError(
                code: .cookieMismatch,
                message: """
                    Expected the environment variable \(self.magicCookieKey) to be set by the host, but it is \
                    missing. This binary is a plugin: run the program that loads it instead of running it directly.
                    """
            )
        }
        guard found == self.magicCookieValue else {
            throw PluginError(
                code: .cookieMismatch,
                message: """
                    Expected \(self.magicCookieKey)=\(self.magicCookieValue.debugDescription), but the host sent \
                    \(Quoting.quote(found)). The host and the plugin were built for different applications or \
                    versions of the cookie; rebuild them against the same HandshakeConfig.
                    """
            )
        }
    }
}
