import PlugboardCore
import PlugboardSystem

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

#if canImport(Glibc)
import Glibc
#endif

/// A 0700 directory the host creates for one plugin's socket (`PLUGIN_UNIX_SOCKET_DIR`) and removes
/// with everything in it when the plugin stops. Its name carries the host's pid
/// (`plugboard-<host pid>-<plugin>-XXXXXX`), so a later host can tell which are stale.
struct PrivateDirectory: Sendable {
    let path: String

    init(for name: String) throws(PluginError) {
        let base = Self.base
        let safeName = String(name.map { $0.isLetter || $0.isNumber || $0 == "-" ? $0 : "_" }.prefix(24))
        var template = Array("\(base)/\(Self.prefix)\(getpid())-\(safeName)-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else {
            throw PluginError(
                code: .launchFailed,
                message:
                    "Could not create a socket directory in \(base): \(String(cString: strerror(errno))). Set TMPDIR to a writable directory.",
                pluginName: name)
        }
        self.path = String(cString: made)
    }

    /// Removes the directory: with one `rmdir` when it is empty, as a plugin that removed its
    /// socket on the way out leaves it; with everything in it otherwise.
    func remove() {
        if rmdir(self.path) == 0 || errno == ENOENT { return }
        try? FileManager.default.removeItem(atPath: self.path)
    }

    /// Removes the socket directories of hosts that are no longer running (killed before they could
    /// clean up); returns their paths. Directories of live hosts, and anything else, are left alone.
    static func sweepStale() -> [String] {
        let base = self.base
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: base)) ?? []
        var removed: [String] = []
        for entry in entries where entry.hasPrefix(self.prefix) {
            let fields = entry.dropFirst(self.prefix.count).split(separator: "-", maxSplits: 1)
            guard let owner = fields.first.flatMap({ Int32($0) }), owner > 0, owner != getpid() else { continue }
            // The owner still runs (or isn't ours to judge).
            guard kill(owner, 0) != 0, errno == ESRCH else { continue }
            let path = "\(base)/\(entry)"
            var status = stat()
            guard lstat(path, &status) == 0, status.st_mode & S_IFMT == S_IFDIR, status.st_uid == getuid() else {
                continue
            }
            if (try? FileManager.default.removeItem(atPath: path)) != nil { removed.append(path) }
        }
        return removed
    }

    private static let prefix = "plugboard-"

    private static var base: String {
        SocketDirectoryBase.path(for: ProcessInfo.processInfo.environment)
    }
}
