import Foundation
import PlugboardCore

#if canImport(Glibc)
import Glibc
#endif

/// A 0700 directory the host creates for one plugin's socket (`PLUGIN_UNIX_SOCKET_DIR`) and removes
/// with everything in it when the plugin stops.
struct PrivateDirectory: Sendable {
    let path: String

    init(for name: String) throws(PluginError) {
        let base = ProcessInfo.processInfo.environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
        let safeName = String(name.map { $0.isLetter || $0.isNumber || $0 == "-" ? $0 : "_" }.prefix(24))
        var template = Array("\(base)/plugboard-\(safeName)-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else {
            throw PluginError(code: .launchFailed, message: "Could not create a socket directory in \(base): \(String(cString: strerror(errno))). Set TMPDIR to a writable directory.", pluginName: name)
        }
        self.path = String(cString: made)
    }

    func remove() {
        try? FileManager.default.removeItem(atPath: self.path)
    }
}
