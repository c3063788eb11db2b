import PlugboardCore
import PlugboardSystem

#if canImport(Glibc)
import Glibc
#endif

/// Where the plugin's socket lives: `PLUGIN_UNIX_SOCKET_DIR` when the host gives one, otherwise a
/// new 0700 directory (see `SocketDirectoryBase`) that the plugin removes when it stops.
struct SocketDirectory {
    /// `sun_path` holds 108 bytes on Linux, NUL included.
    static let maximumSocketPathLength = 107

    let path: String
    let socketPath: String
    private let createdHere: Bool

    init(environment: [String: String]) throws(PluginError) {
        if let given = environment[PluginEnvironment.unixSocketDirectory], !given.isEmpty {
            self.path = given
            self.createdHere = false
        } else {
            let base = SocketDirectoryBase.path(for: environment)
            var template = Array("\(base)/plugboard-XXXXXX".utf8CString)
            guard let made = mkdtemp(&template) else {
                throw PluginError(
                    code: .launchFailed,
                    message:
                        "Could not create a private socket directory in \(base): \(String(cString: strerror(errno))). Set TMPDIR or PLUGIN_UNIX_SOCKET_DIR to a writable directory."
                )
            }
            self.path = String(cString: made)
            self.createdHere = true
        }
        self.socketPath = "\(self.path)/plugin-\(getpid()).sock"
        guard self.socketPath.utf8.count <= Self.maximumSocketPathLength else {
            throw PluginError(
                code: .socketPathInvalid,
                message:
                    "The socket path \(self.socketPath) is longer than the \(Self.maximumSocketPathLength) bytes a unix socket address holds; use a shorter PLUGIN_UNIX_SOCKET_DIR or TMPDIR."
            )
        }
    }

    /// Removes the socket file, and the directory when the plugin created it.
    func remove() {
        unlink(self.socketPath)
        if self.createdHere { rmdir(self.path) }
    }
}
