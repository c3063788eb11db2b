import Foundation
import PlugboardCore
import PlugboardHost

#if canImport(Glibc)
import Glibc
#endif

/// A plugin started the way a person debugging it starts it: by hand (a child of the test, not of
/// any host), with the lines it printed first on stdout. Its stderr is dropped.
struct HandStartedPlugin {
    let process: Process
    /// The first stdout lines, without newlines.
    let lines: [String]
    /// Kept open: a plugin whose stdout reader is gone would get EPIPE on its next write.
    private let stdout: Pipe

    var pid: Int32 { self.process.processIdentifier }

    /// Starts `path` with `arguments` and exactly `environment` (plus PATH and TMPDIR) and reads
    /// `lineCount` lines from its stdout.
    static func start(_ path: String, arguments: [String], environment: [String: String] = [:], lineCount: Int)
        async throws -> HandStartedPlugin
    {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        var inherited = ["PATH": "/usr/bin:/bin"]
        inherited["TMPDIR"] = ProcessInfo.processInfo.environment["TMPDIR"]
        process.environment = inherited.merging(environment) { $1 }
        let stdout = Pipe()
        process.standardOutput = stdout
        process.standardError = FileHandle.nullDevice
        try process.run()
        let reader = stdout.fileHandleForReading
        let lines = try await TestEnvironment.offThePool { () throws -> [String] in
            var text = Data()
            while text.filter({ $0 == UInt8(ascii: "\n") }).count < lineCount {
                let chunk = reader.availableData
                guard !chunk.isEmpty else { throw Ended(output: String(decoding: text, as: UTF8.self)) }
                text += chunk
            }
            return String(decoding: text, as: UTF8.self).split(separator: "\n").prefix(lineCount).map(String.init)
        }
        return HandStartedPlugin(process: process, lines: lines, stdout: stdout)
    }

    /// Starts the fixture plugin with `--debug` and reads its reattach line and sentence.
    static func fixtureInDebugMode(_ mode: String = "echo", environment: [String: String] = [:]) async throws
        -> HandStartedPlugin
    {
        try await Self.start(
            TestEnvironment.fixturePath, arguments: [mode, ReattachRecord.debugArgument], environment: environment,
            lineCount: 2)
    }

    /// The record a `--debug` plugin printed, read as a host reads `PLUGBOARD_REATTACH`.
    func debugRecord() throws -> (name: String, record: ReattachRecord) {
        let prefix = "\(ReattachRecord.environmentVariable)='"
        guard let line = self.lines.first, line.hasPrefix(prefix), line.hasSuffix("'") else {
            throw Ended(output: self.lines.joined(separator: "\n"))
        }
        let records = try ReattachRecord.records(json: String(line.dropFirst(prefix.count).dropLast()))
        guard records.count == 1, let (name, record) = records.first else { throw Ended(output: line) }
        return (name, record)
    }

    /// Whether the process still runs (a zombie counts as ended).
    var isRunning: Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(self.pid)/stat", encoding: .utf8) else { return false }
        return !(stat.split(separator: ")").last?.hasPrefix(" Z") ?? true)
    }

    /// Waits up to `timeout` for the process to end; whether it did.
    func waitForExit(within timeout: Duration) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while self.isRunning {
            guard ContinuousClock.now < deadline else { return false }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return true
    }

    /// SIGKILLs it; Foundation reaps it.
    func kill() { _ = Glibc.kill(self.pid, SIGKILL) }

    struct Ended: Error, CustomStringConvertible {
        var output: String
        var description: String {
            "the plugin did not print what was expected; its stdout: \(self.output.debugDescription)"
        }
    }
}
