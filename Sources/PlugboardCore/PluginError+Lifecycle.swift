/// Factories with the standard wording for failures the host and the SDK detect outside the handshake line.
extension PluginError {
    /// The process ended before it printed its handshake line.
    package static func exitedBeforeHandshake(_ termination: Termination, stderrTail: [String] = []) -> Self {
        PluginError(
            code: .exitedBeforeHandshake,
            message: """
                Expected a handshake line on stdout, but the plugin ended before printing one. Its stderr \
                usually says why; check that it was built with a Plugboard or go-plugin SDK for this cookie.
                """,
            termination: termination,
            stderrTail: stderrTail
        )
    }

    /// No handshake line arrived in time.
    package static func startTimeout(after timeout: Duration, stderrTail: [String] = []) -> Self {
        PluginError(
            code: .startTimeout,
            message: """
                Expected a handshake line on stdout within \(timeout), but none came. The plugin may be stuck \
                during start-up or may not be a go-plugin plugin; raise the start timeout if it is just slow.
                """,
            stderrTail: stderrTail
        )
    }

    /// The first stdout line exceeded `limit` bytes without a newline.
    package static func handshakeTooLong(limit: Int) -> Self {
        PluginError(
            code: .handshakeTooLong,
            message: """
                Expected a handshake line of at most \(limit) bytes on stdout, but the first line is longer. \
                The plugin is writing other output to stdout before its handshake; send logs to stderr.
                """
        )
    }

    /// The executable does not exist.
    package static func executableNotFound(path: String) -> Self {
        PluginError(
            code: .executableNotFound,
            message: "Expected a plugin executable at \(path), but there is no such file. Check the configured path.",
            executablePath: path
        )
    }

    /// The file is not executable; `reason` names the mode or file type found.
    package static func notExecutable(path: String, reason: String) -> Self {
        PluginError(
            code: .notExecutable,
            message: """
                Expected an executable file, but \(path) is not one (\(reason)). Run `chmod +x` on it or point \
                the host at the built binary.
                """,
            executablePath: path
        )
    }

    /// The executable targets another platform, for example `found: "ELF aarch64"`, `expected: "ELF x86-64"`.
    package static func wrongArchitecture(path: String, found: String, expected: String) -> Self {
        PluginError(
            code: .wrongArchitecture,
            message: """
                Expected a \(expected) executable, but \(path) is \(found). Rebuild the plugin for this machine.
                """,
            executablePath: path
        )
    }

    /// The plugin did not exit within `grace` after `Shutdown`, so it was killed.
    package static func shutdownTimeout(after grace: Duration) -> Self {
        PluginError(
            code: .shutdownTimeout,
            message: """
                Expected the plugin to exit within \(grace) after the Shutdown call, but it kept running and \
                was killed with SIGKILL. The plugin should stop its gRPC server when Shutdown is called.
                """
        )
    }

    /// The plugin was stopped, so the operation cannot go on; `reason` says by whom (for example "the host").
    package static func stopped(reason: String) -> Self {
        PluginError(
            code: .stopped,
            message: "The plugin was stopped by \(reason); start a new client to use it again."
        )
    }
}
