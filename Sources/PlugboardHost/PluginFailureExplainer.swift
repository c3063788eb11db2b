import GRPCCore
import GoPluginProtos
import PlugboardCore
import PlugboardTransport

/// Explains failed calls in the plugin's terms, from inside the transport (so a call that
/// succeeds, and every message, pays nothing for it):
/// - UNIMPLEMENTED names the plugin and the method (usually a plugin whose `--describe` claims a
///   service set it does not serve);
/// - a call that fails because the plugin process died says so, with how it ended (exit status or
///   signal) and its last stderr lines, instead of a bare transport error.
struct PluginFailureExplainer: CallFailureExplainer {
    let plugin: String
    let path: String
    /// The process behind the connection.
    let process: PluginProcess

    func explain(_ error: RPCError, calling method: MethodDescriptor) async -> RPCError {
        // A plugin asked to stop may exit before it replies (go-plugin's do, and an idle
        // Plugboard plugin): nothing to explain, and the stop must not wait here for the exit.
        if method == Plugin_GRPCController.Method.Shutdown.descriptor { return error }
        if error.code == .unimplemented {
            return RPCError(
                code: .unimplemented,
                message:
                    "plugin \"\(self.plugin)\" (\(self.path)) does not implement \(method.fullyQualifiedMethod): \(error.message). Check that the plugin serves the service sets its --describe output claims, and rebuild it.",
                cause: error)
        }
        // A lost connection (UNAVAILABLE) is how a dying plugin usually shows: give the reaper a
        // moment to see the exit. Other codes come from live plugins or from the caller (a handler
        // error, a cancellation), so they must not wait; an exit already seen still explains them.
        guard [.unavailable, .unknown, .internalError, .cancelled].contains(error.code) else { return error }
        let handle = self.process.handle
        let seen = handle.hasEnded
        let ended = error.code == .unavailable && !seen ? await handle.waitForEnd(timeout: .milliseconds(250)) : seen
        guard ended else { return error }
        var failure = handle.endedError(during: method.fullyQualifiedMethod).withContext(
            pluginName: self.plugin, executablePath: self.path, pid: handle.pid)
        failure.stderrTail = self.process.stderr.tail
        failure.cause = error
        return RPCError(code: .unavailable, message: "\(failure)", cause: failure)
    }
}
