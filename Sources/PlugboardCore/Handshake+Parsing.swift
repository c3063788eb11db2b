extension Handshake {
    /// Validates a plugin's first stdout line, exactly as a go-plugin host does (protocol §4).
    ///
    /// Surrounding whitespace (including the newline) is trimmed first. The checks run in go-plugin's
    /// order: field count, core version, app version, network and socket path, protocol, certificate,
    /// multiplexing flag. A line with 4 fields has no protocol field, which means `netrpc`.
    ///
    /// - Parameters:
    ///   - line: The first line the plugin printed, with or without its newline.
    ///   - config: The host's configuration; field 2 must be one of its ``HandshakeConfig/appProtocolVersions``.
    /// - Throws: A ``PluginError`` whose code names the first problem found, for example
    ///   ``PluginError/Code/appVersionUnsupported``; its message quotes the line.
    package init(parsing line: String, accepting config: HandshakeConfig) throws(PluginError) {
        let problem = HandshakeProblem(line: Self.trimmed(line))
        let fields = problem.line.split(separator: "|", omittingEmptySubsequences: false)
        guard problem.line.contains("|") else {
            throw problem.error(
                .outputBeforeHandshake,
                expected: "the handshake line CORE|APP|NETWORK|ADDRESS|PROTOCOL|CERT as the first line on stdout",
                came: "the plugin printed",
                fix: "The plugin must not write to stdout before its handshake; send that output to stderr."
            )
        }
        guard fields.count >= 4 else {
            throw problem.error(
                .invalidHandshake,
                expected: "at least 4 |-separated fields (CORE|APP|NETWORK|ADDRESS|PROTOCOL|CERT)",
                came: "found \(fields.count) in",
                fix: "Check that the binary is a go-plugin plugin and prints only its handshake on stdout."
            )
        }
        guard fields.count <= 7 else {
            throw problem.error(
                .invalidHandshake,
                expected: "at most 7 |-separated fields",
                came: "found \(fields.count) in",
                fix: "Check that the socket path contains no `|` and that nothing else is appended to the line."
            )
        }
        try problem.checkCoreVersion(fields[0])
        let appVersion = try problem.appVersion(fields[1], accepted: config.appProtocolVersions)
        try problem.checkNetwork(fields[2])
        try problem.checkSocketPath(fields[3])
        try problem.checkProtocol(fields.count > 4 ? fields[4] : nil)
        let certificate = try problem.certificate(fields.count > 5 ? fields[5] : nil)
        let multiplex = try problem.multiplexFlag(fields.count > 6 ? fields[6] : nil)
        self.init(
            appProtocolVersion: appVersion,
            socketPath: String(fields[3]),
            serverCertificate: certificate,
            multiplexSupported: multiplex
        )
    }

    /// The line without leading and trailing whitespace, like Go's `strings.TrimSpace`.
    static func trimmed(_ line: String) -> Substring {
        let start = line.firstIndex { !$0.isWhitespace } ?? line.endIndex
        let end = line.lastIndex { !$0.isWhitespace }.map(line.index(after:)) ?? start
        return line[start..<end]
    }
}
