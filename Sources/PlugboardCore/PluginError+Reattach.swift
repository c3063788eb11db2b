/// Factories with the standard wording for attaching to a plugin that is already running
/// (protocol §11: go-plugin's `ReattachConfig`).
extension PluginError {
    private static let copyTheRecord = """
        Copy the \(ReattachRecord.environmentVariable) line the plugin printed when started with \
        \(ReattachRecord.debugArgument) (for a go-plugin plugin: its pid and its handshake line).
        """

    /// The record cannot be used; `reason` completes "The reattach record …".
    package static func invalidReattach(_ reason: String) -> Self {
        PluginError(code: .invalidReattach, message: "The reattach record \(reason). \(Self.copyTheRecord)")
    }

    /// The text that should hold records is not a JSON object.
    package static func invalidReattachJSON(_ text: String, source: String) -> Self {
        PluginError(
            code: .invalidReattach,
            message:
                "\(source): expected a JSON object mapping plugin names to reattach records, but it is \(Quoting.quote(text)). \(Self.copyTheRecord)"
        )
    }

    /// A copy whose message starts with where the record came from, naming the plugin it is for.
    package func inReattachSource(_ source: String, name: String) -> Self {
        var copy = self
        copy.message = "\(source): \(self.message)"
        copy.pluginName = copy.pluginName ?? name
        return copy
    }

    /// The record's protocol is not `grpc`.
    package static func reattachProtocolRefused(_ transportProtocol: String) -> Self {
        if transportProtocol == "netrpc" {
            return PluginError(
                code: .netRPCRefused,
                message:
                    "The reattach record says the plugin speaks netrpc; Plugboard speaks gRPC only. Serve the plugin with a gRPC server (go-plugin: `GRPCServer: plugin.DefaultGRPCServer`)."
            )
        }
        return PluginError(
            code: .unsupportedProtocol,
            message:
                "Expected protocol \"grpc\" in the reattach record, but it is \(Quoting.quote(transportProtocol)). go-plugin only knows \"grpc\" and \"netrpc\", and Plugboard speaks gRPC only. \(Self.copyTheRecord)"
        )
    }

    /// The record's version is not one the host accepts.
    package static func reattachVersionUnsupported(_ version: Int, accepted: [Int]) -> Self {
        PluginError(
            code: .appVersionUnsupported,
            message:
                "The reattach record says the plugin serves app protocol version \(version), but this host accepts \(accepted.sorted()). Start the plugin again with PLUGIN_PROTOCOL_VERSIONS=\(accepted.sorted().map(String.init).joined(separator: ",")) in its environment, or rebuild one side so that they share a version."
        )
    }

    /// No process has the record's pid.
    package static func reattachProcessNotFound(pid: Int32) -> Self {
        PluginError(
            code: .processNotFound,
            message:
                "The reattach record names pid \(pid), but no such process runs: the plugin has stopped, or the record is from an earlier run. Start the plugin again with \(ReattachRecord.debugArgument) and use the line it prints.",
            pid: pid
        )
    }

    /// The record's socket cannot be reached; `reason` says how (no such file, not a socket,
    /// nothing accepts connections).
    package static func reattachSocketUnreachable(_ socketPath: String, pid: Int32, reason: String) -> Self {
        PluginError(
            code: .connectionFailed,
            message:
                "The reattach record names the unix socket \(socketPath), but \(reason). The plugin (pid \(pid)) no longer serves there, or the record is from an earlier run; the host attached to nothing. \(Self.copyTheRecord)",
            pid: pid
        )
    }

    /// The process listening on the record's socket is not the record's pid; `listener` describes it.
    package static func reattachSocketNotOwned(_ socketPath: String, pid: Int32, listener: String) -> Self {
        PluginError(
            code: .socketNotOwned,
            message:
                "The reattach record says pid \(pid) serves the unix socket \(socketPath), but the process listening there is \(listener). The host attached to nothing, sent nothing to that socket, and signalled no process. Check the record's pid: a plugin run with \(ReattachRecord.debugArgument) prints its own.",
            pid: pid
        )
    }

    /// A plugin the host attached to ended while the host was using it.
    package static func attachedProcessEnded(during method: String? = nil) -> Self {
        PluginError(
            code: .exitedUnexpectedly,
            message:
                "The attached plugin process ended while the host was using it\(method.map { " (during \($0); the call was not completed)" } ?? ""). The host did not start it, so it cannot tell its exit status: look where it was started. Start it again with \(ReattachRecord.debugArgument) and attach with the new line."
        )
    }

    /// An attached plugin failed; the host does not restart what it did not start.
    package static func attachedNotRestarted(last: PluginError) -> Self {
        var error = PluginError(
            code: .quarantined,
            message:
                "The host attached to this plugin instead of starting it, so it does not restart it after a failure; it stays down. Last failure: \(last.code): \(last.message)",
            cause: last
        )
        error.pluginName = last.pluginName
        error.executablePath = last.executablePath
        error.pid = last.pid
        return error
    }
}
