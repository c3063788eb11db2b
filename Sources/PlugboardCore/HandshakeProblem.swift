/// Field checks for ``Handshake/init(parsing:accepting:)``; each failure quotes the whole line.
struct HandshakeProblem {
    /// The trimmed line.
    let line: Substring

    /// The longest socket path a `sockaddr_un` holds (its `sun_path` minus the terminating NUL).
    static let maximumSocketPathBytes: Int = {
        #if os(Linux)
        return 107
        #else
        return 103
        #endif
    }()

    /// A handshake error: "Expected …, but <came> the line "<line>". <fix>"
    func error(_ code: PluginError.Code, expected: String, came: String, fix: String) -> PluginError {
        PluginError(
            code: code,
            message: "Expected \(expected), but \(came) the line \(Quoting.quote(self.line)). \(fix)"
        )
    }

    func checkCoreVersion(_ field: Substring) throws(PluginError) {
        guard let version = Int(field) else {
            throw self.error(
                .invalidHandshake,
                expected: "field 1 (core protocol version) to be a decimal number",
                came: "it is \(Quoting.quote(field)) in",
                fix: "Check that the binary is a go-plugin plugin."
            )
        }
        guard version == HandshakeConfig.coreProtocolVersion else {
            throw self.error(
                .coreVersionMismatch,
                expected: "core protocol version \(HandshakeConfig.coreProtocolVersion)",
                came: "the plugin announced \(version) in",
                fix: "The plugin uses an incompatible go-plugin wire protocol; rebuild it with a current SDK."
            )
        }
    }

    func appVersion(_ field: Substring, accepted: [Int]) throws(PluginError) -> Int {
        guard let version = Int(field) else {
            throw self.error(
                .invalidHandshake,
                expected: "field 2 (app protocol version) to be a decimal number",
                came: "it is \(Quoting.quote(field)) in",
                fix: "Check that the binary is a go-plugin plugin."
            )
        }
        guard accepted.contains(version) else {
            throw self.error(
                .appVersionUnsupported,
                expected: "one of the app protocol versions \(accepted.sorted()) this host accepts",
                came: "the plugin chose \(version) in",
                fix: """
                    With no version in common a plugin answers with its lowest one; rebuild the plugin or the \
                    host so that they share a version.
                    """
            )
        }
        return version
    }

    func checkNetwork(_ field: Substring) throws(PluginError) {
        switch field {
        case Substring(Handshake.network):
            return
        case "tcp":
            throw self.error(
                .unsupportedNetwork,
                expected: "network \"unix\" in field 3",
                came: "the plugin listens on TCP in",
                fix: "Plugboard connects over unix sockets only (go-plugin uses TCP only on Windows)."
            )
        default:
            throw self.error(
                .unknownNetwork,
                expected: "network \"unix\" in field 3",
                came: "it is \(Quoting.quote(field)) in",
                fix: "go-plugin only knows \"unix\" and \"tcp\"; the plugin is printing a malformed handshake."
            )
        }
    }

    func checkSocketPath(_ field: Substring) throws(PluginError) {
        guard !field.isEmpty else {
            throw self.error(
                .socketPathMissing,
                expected: "the plugin's unix socket path in field 4",
                came: "the field is empty in",
                fix: "The plugin must listen on a socket before printing the handshake."
            )
        }
        let fixForPlugin = "The plugin must print the absolute path of the socket it listens on."
        let problem: (reason: String, fix: String)? =
            if !field.hasPrefix("/") {
                ("it is not an absolute path", fixForPlugin)
            } else if field.utf8.contains(0) {
                ("it contains a NUL byte", fixForPlugin)
            } else if field.utf8.count > Self.maximumSocketPathBytes {
                (
                    "it is \(field.utf8.count) bytes, above the socket address limit (\(Self.maximumSocketPathBytes))",
                    "Point PLUGIN_UNIX_SOCKET_DIR or TMPDIR at a shorter directory."
                )
            } else {
                nil
            }
        if let problem {
            throw self.error(
                .socketPathInvalid,
                expected: "an absolute unix socket path in field 4",
                came: "\(problem.reason) in",
                fix: problem.fix
            )
        }
    }
}
