/// Names of the environment variables go-plugin hosts send to plugins (protocol §2).
///
/// The magic cookie's name is app-defined and lives in ``HandshakeConfig/magicCookieKey``.
package enum PluginEnvironment {
    /// Comma-separated app protocol versions the host accepts, in no particular order (for example `6,5`).
    package static let protocolVersions = "PLUGIN_PROTOCOL_VERSIONS"

    /// Lowest TCP port a Windows plugin may listen on; Unix plugins ignore it.
    package static let minPort = "PLUGIN_MIN_PORT"

    /// Highest TCP port a Windows plugin may listen on; Unix plugins ignore it.
    package static let maxPort = "PLUGIN_MAX_PORT"

    /// The host's PEM certificate; its presence turns AutoMTLS on in the plugin.
    package static let clientCertificate = "PLUGIN_CLIENT_CERT"

    /// Directory in which the plugin creates its unix sockets (go-plugin's default: `$TMPDIR`;
    /// Plugboard's: a tmpfs when there is one, see `SocketDirectoryBase`).
    package static let unixSocketDirectory = "PLUGIN_UNIX_SOCKET_DIR"

    /// Group name or id the plugin gives its sockets (`chown :group`, mode 0660).
    package static let unixSocketGroup = "PLUGIN_UNIX_SOCKET_GROUP"

    /// Set by Go hosts that want yamux broker multiplexing. If it is set at all, the plugin adds the 7th
    /// handshake field; Plugboard plugins answer `false` because Plugboard has no yamux.
    package static let multiplexGRPC = "PLUGIN_MULTIPLEX_GRPC"

    /// Set by Plugboard hosts (not by go-plugin): the host's pid, so a plugin started through a
    /// wrapper (`sh -c`, which outlives the host) still notices the host's death. Plugins trust it
    /// only when that process is one of their ancestors.
    package static let hostPID = "PLUGBOARD_HOST_PID"
}
