import Crypto
import Foundation
import PlugboardCore

/// The SHA-256 of a plugin's executable, checked before every start (as Vault and go-plugin's
/// `SecureConfig` do). Like theirs, it is a check at start time: keep plugin files unwritable by others.
package enum Checksum {
    package static func sha256(ofFileAt path: String) throws(PluginError) -> String {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw PluginError.executableNotFound(path: path)
        }
        defer { try? handle.close() }
        var hasher = SHA256()
        while let chunk = try? handle.read(upToCount: 1 << 20), !chunk.isEmpty {
            hasher.update(data: chunk)
        }
        return hasher.finalize().map { String(format: "%02x", $0) }.joined()
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
