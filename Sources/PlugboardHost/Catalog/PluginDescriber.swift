import Foundation
public import PlugboardCore

#if canImport(Glibc)
import Glibc
#endif

/// Runs a plugin with `--describe` and reads what it says about itself, before the host starts it.
public enum PluginDescriber {
    /// Runs `spec`'s executable with its arguments and `--describe` (without the cookie, so it cannot start serving)
    /// and decodes its JSON; a plugin that takes longer than `timeout` is killed.
    public static func describe(_ spec: PluginSpec, timeout: Duration = .seconds(10)) async throws(PluginError) -> PluginDescription {
        if let expected = spec.sha256 { try Checksum.verify(spec, expected: expected) }
        let child: ChildProcess
        do {
            child = try ChildProcess(path: spec.path, arguments: spec.arguments + [PluginDescription.argument], environment: ["PATH": "/usr/bin:/bin"])
        } catch {
            throw error.withContext(pluginName: spec.name, executablePath: spec.path)
        }
        async let output = child.stdout.reduce(into: [UInt8]()) { $0 += $1 }
        async let drained: Void = child.stderr.reduce(into: ()) { _, _ in }
        var termination = await child.wait(timeout: timeout)
        await child.killTree()  // on a timeout the plugin itself; always whatever it left behind
        termination = termination ?? child.termination
        let bytes = await output
        await drained
        guard termination == .exited(0) else {
            throw PluginError(
                code: .invalidDescription,
                message: "Expected `\(spec.path) \(PluginDescription.argument)` to print its description and exit 0 within \(timeout), but it ended with \(termination.map { "\($0)" } ?? "no status"). Build the plugin with PluginServer.serve(description:…).",
                pluginName: spec.name, executablePath: spec.path, termination: termination
            )
        }
        do {
            return try JSONDecoder().decode(PluginDescription.self, from: Data(bytes))
        } catch {
            throw PluginError(
                code: .invalidDescription,
                message: "Expected `\(spec.path) \(PluginDescription.argument)` to print a JSON description (name, version, serviceSets, appProtocolVersions), but it printed \"\(String(decoding: bytes.prefix(200), as: UTF8.self))\".",
                pluginName: spec.name, executablePath: spec.path, cause: error
            )
        }
    }
}
