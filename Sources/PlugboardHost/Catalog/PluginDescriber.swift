public import PlugboardCore

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

#if canImport(Glibc)
import Glibc
#endif

/// Runs a plugin with `--describe` and reads what it says about itself, before the host starts it.
///
/// Time and output are bounded for the plugin's whole process tree: at most ``outputLimit`` bytes
/// of stdout are kept, and a plugin that prints more, or has not exited within the timeout, is
/// killed with its process group and cgroup. Pipes that a process which escaped both (a `setsid`
/// daemon) still holds are given up shortly after the plugin exits, not waited for.
public enum PluginDescriber {
    /// The most a description may take on stdout; a real one is a few hundred bytes.
    public static let outputLimit = 1 << 20

    /// Runs `spec`'s executable with its arguments and `--describe` (without the cookie, so it cannot start serving)
    /// and decodes its JSON; a plugin that takes longer than `timeout`, or prints more than
    /// ``outputLimit`` bytes, is killed with its process tree.
    ///
    /// - Throws: `PluginError` with code `invalidDescription` naming the plugin and its path, or
    ///   the launch and checksum errors of a start.
    public static func describe(_ spec: PluginSpec, timeout: Duration = .seconds(10)) async throws(PluginError)
        -> PluginDescription
    {
        if let expected = spec.sha256 { try Checksum.verify(spec, expected: expected) }
        let child: ChildProcess
        do {
            child = try ChildProcess(
                path: spec.path, arguments: spec.arguments + [PluginDescription.argument],
                environment: ["PATH": "/usr/bin:/bin"])
        } catch {
            throw error.withContext(pluginName: spec.name, executablePath: spec.path)
        }
        let command = "`" + ([spec.path] + spec.arguments + [PluginDescription.argument]).joined(separator: " ") + "`"
        async let output = Self.read(child.stdout, limit: Self.outputLimit) { child.send(SIGKILL) }
        async let drained: Void = child.stderr.reduce(into: ()) { _, _ in }
        var termination = await child.wait(timeout: timeout)
        let timedOut = termination == nil
        await child.killTree()  // on a timeout the plugin itself; always whatever it left behind
        termination = termination ?? child.termination
        let bytes = await output
        await drained
        func failure(_ message: String) -> PluginError {
            PluginError(
                code: .invalidDescription, message: message, pluginName: spec.name, executablePath: spec.path,
                pid: child.pid, termination: termination)
        }
        guard let bytes else {
            throw failure(
                "Expected \(command) to print a description of at most \(Self.outputLimit) bytes, but it printed more, so it was killed with its process tree. A plugin's --describe prints one JSON object; check what else writes to its stdout."
            )
        }
        guard !timedOut else {
            throw failure(
                "Expected \(command) to print its description and exit within \(timeout), but it was still running, so it was killed with its process tree. A plugin's --describe must not wait for anything; build it with PluginServer.serve(description:…)."
            )
        }
        guard termination == .exited(0) else {
            throw failure(
                "Expected \(command) to print its description and exit 0 within \(timeout), but it ended with \(termination.map { "\($0)" } ?? "no status"). Build the plugin with PluginServer.serve(description:…)."
            )
        }
        do {
            return try JSONDecoder().decode(PluginDescription.self, from: Data(bytes))
        } catch {
            throw PluginError(
                code: .invalidDescription,
                message:
                    "Expected \(command) to print a JSON description (name, version, serviceSets, appProtocolVersions), but it printed \"\(String(decoding: bytes.prefix(200), as: UTF8.self))\".",
                pluginName: spec.name, executablePath: spec.path, cause: error
            )
        }
    }

    /// Collects `stream` up to `limit` bytes; past it calls `overflow` once, reads on without
    /// keeping anything (so the writer is not blocked on a full pipe while it is being killed) and
    /// returns `nil`.
    private static func read(_ stream: AsyncStream<[UInt8]>, limit: Int, overflow: @Sendable () -> Void) async
        -> [UInt8]?
    {
        var bytes: [UInt8] = []
        var overflowed = false
        for await chunk in stream where !overflowed {
            if bytes.count + chunk.count > limit {
                overflowed = true
                bytes = []
                overflow()
            } else {
                bytes += chunk
            }
        }
        return overflowed ? nil : bytes
    }
}
