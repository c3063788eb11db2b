import Crypto
import PlugboardCore
import PlugboardSystem

#if canImport(Glibc)
import Glibc
#endif

/// The SHA-256 of a plugin's executable, checked before every start (as Vault and go-plugin's
/// `SecureConfig` do). Like theirs, it is a check at start time: keep plugin files unwritable by others.
package enum Checksum {
    package static func sha256(ofFileAt path: String) throws(PluginError) -> String {
        let fd = SystemCall.retrying { open(path, O_RDONLY | O_CLOEXEC) }
        guard fd >= 0 else { throw PluginError.executableNotFound(path: path) }
        defer { close(fd) }
        var hasher = SHA256()
        SystemCall.readToEnd(fd, chunkSize: 1 << 20) { hasher.update(data: $0) }
        let hexDigits = Array("0123456789abcdef".utf8)
        let hex = hasher.finalize().flatMap { [hexDigits[Int($0 >> 4)], hexDigits[Int($0 & 0xf)]] }
        return String(decoding: hex, as: UTF8.self)
    }

    package static func verify(_ spec: PluginSpec, expected: String) throws(PluginError) {
        let actual = try Self.sha256(ofFileAt: spec.path)
        guard actual == expected else {
            throw PluginError(
                code: .checksumMismatch,
                message:
                    "Expected the executable's SHA-256 to be \(expected), but it is \(actual). The file changed since the configuration was written: rebuild or reinstall the plugin, or update `sha256` if the change is intended.",
                pluginName: spec.name,
                executablePath: spec.path
            )
        }
    }
}
