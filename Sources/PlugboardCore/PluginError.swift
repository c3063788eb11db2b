/// An error from starting, talking to or stopping a plugin, or from the plugin side of the handshake.
///
/// Compare ``code``, never the text of ``message``. The message says what was expected, what came
/// instead and what to do. The host fills in the context (``pluginName``, ``executablePath``, ``pid``,
/// ``termination``, ``stderrTail``) when it knows it, so ``description`` reads as one paragraph:
///
/// ```
/// appVersionUnsupported: plugin "kv" (/usr/libexec/kv-plugin, pid 4242): Expected ...
/// ```
///
/// Equality and hashing use only ``code`` and ``message``.
public struct PluginError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What kind of failure this is.
    public var code: Code
    /// What happened, what was expected, and what to do about it.
    public var message: String
    /// The plugin's name as the host knows it, if known.
    public var pluginName: String?
    /// The plugin executable's path, if known.
    public var executablePath: String?
    /// The plugin's process id, if it was started.
    public var pid: Int32?
    /// How the plugin process ended, if it did.
    public var termination: Termination?
    /// The last lines the plugin wrote to stderr, oldest first; often the real reason.
    public var stderrTail: [String]
    /// The underlying error, if any.
    public var cause: (any Error)?

    /// Creates an error; add context with the properties or ``withContext(pluginName:executablePath:pid:)``.
    package init(
        code: Code,
        message: String,
        pluginName: String? = nil,
        executablePath: String? = nil,
        pid: Int32? = nil,
        termination: Termination? = nil,
        stderrTail: [String] = [],
        cause: (any Error)? = nil
    ) {
        self.code = code
        self.message = message
        self.pluginName = pluginName
        self.executablePath = executablePath
        self.pid = pid
        self.termination = termination
        self.stderrTail = stderrTail
        self.cause = cause
    }

    /// A copy with the plugin's identity filled in; `nil` arguments keep what is already there.
    package func withContext(pluginName: String? = nil, executablePath: String? = nil, pid: Int32? = nil) -> Self {
        var copy = self
        copy.pluginName = pluginName ?? copy.pluginName
        copy.executablePath = executablePath ?? copy.executablePath
        copy.pid = pid ?? copy.pid
        return copy
    }

    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.code == rhs.code && lhs.message == rhs.message
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(self.code)
        hasher.combine(self.message)
    }
}

extension PluginError {
    /// How a plugin process ended.
    public enum Termination: Hashable, Sendable, CustomStringConvertible {
        /// It called `exit` with this status.
        case exited(Int32)
        /// A signal with this number killed it.
        case signaled(Int32)

        public var description: String {
            switch self {
            case .exited(let status):
                return "exit status \(status)"
            case .signaled(let signal):
                return Self.signalNames[signal].map { "signal \(signal) (\($0))" } ?? "signal \(signal)"
            }
        }

        private static let signalNames: [Int32: String] = {
            var names: [Int32: String] = [
                1: "SIGHUP", 2: "SIGINT", 3: "SIGQUIT", 4: "SIGILL", 5: "SIGTRAP", 6: "SIGABRT",
                8: "SIGFPE", 9: "SIGKILL", 11: "SIGSEGV", 13: "SIGPIPE", 14: "SIGALRM", 15: "SIGTERM",
            ]
            #if os(Linux)
            names[7] = "SIGBUS"
            #else
            names[10] = "SIGBUS"
            #endif
            return names
        }()
    }
}
