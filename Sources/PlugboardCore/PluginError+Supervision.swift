/// Factories with the standard wording for failures a supervisor detects.
extension PluginError {
    /// The process ended on its own while the host was using it.
    package static func exitedUnexpectedly(_ termination: Termination, stderrTail: [String] = []) -> Self {
        PluginError(
            code: .exitedUnexpectedly,
            message: "The plugin process ended while the host was using it. Its stderr usually says why.",
            termination: termination,
            stderrTail: stderrTail
        )
    }

    /// `failures` health checks in a row failed; the last failure is `cause`.
    package static func unhealthy(failures: Int, timeout: Duration, cause: (any Error)?) -> Self {
        PluginError(
            code: .unhealthy,
            message: """
                The plugin stopped answering its health check (\(failures) in a row failed or took longer than \
                \(timeout)), so it was killed to be restarted. It may be deadlocked or overloaded.
                """,
            cause: cause
        )
    }

    /// The unix socket the plugin announced no longer exists.
    package static func socketRemoved(path: String) -> Self {
        PluginError(
            code: .socketRemoved,
            message: """
                The plugin's socket \(path) disappeared while it ran (something deleted it), so no new \
                connection could reach it; it was killed to be restarted. Keep cleaners away from the \
                host's socket directories.
                """
        )
    }

    /// `failures` failures inside `window` ended in quarantine; `last` is the most recent.
    package static func quarantined(failures: Int, window: Duration, last: PluginError) -> Self {
        var error = PluginError(
            code: .quarantined,
            message: """
                The plugin failed \(failures) times within \(window), so it is quarantined and will not be \
                restarted. Last failure: \(last.code): \(last.message) Fix the plugin, then restart the host.
                """,
            termination: last.termination,
            stderrTail: last.stderrTail,
            cause: last
        )
        error.pluginName = last.pluginName
        error.executablePath = last.executablePath
        error.pid = last.pid
        return error
    }

    /// A call could not start because the plugin is `state`, and will not come back (stopped or quarantined).
    package static func notServing(state: String, reason: PluginError?) -> Self {
        PluginError(
            code: reason?.code == .quarantined ? .quarantined : .stopped,
            message: "The call was not sent: the plugin is \(state)." + (reason.map { " \($0.message)" } ?? ""),
            termination: reason?.termination,
            stderrTail: reason?.stderrTail ?? [],
            cause: reason
        )
    }
}
