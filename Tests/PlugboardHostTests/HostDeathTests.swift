import Foundation
import PlugboardCore
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A Plugboard plugin never outlives its host.
@Suite("When the host dies", .serialized, .timeLimit(.minutes(1)))
struct HostDeathTests {
    /// Whether `pid` has ended: gone, or a zombie waiting for whoever adopted it.
    func hasEnded(_ pid: Int32) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return true }
        return stat.split(separator: ")").last?.split(separator: " ").first == "Z"
    }

    @Test("the plugin exits within 1 s of its host being killed with SIGKILL")
    func pluginExitsWithHost() throws {
        // The "host" is a shell that starts the plugin with the cookie and then waits.
        let host = Process()
        host.executableURL = URL(fileURLWithPath: "/bin/sh")
        host.arguments = ["-c", "\"$0\" & echo $!; wait", TestEnvironment.fixturePath]
        host.environment = HandshakeConfig.plugboard(appProtocolVersions: [1]).hostEnvironment.merging(["PATH": "/usr/bin:/bin"]) { $1 }
        let stdout = Pipe()
        host.standardOutput = stdout
        host.standardError = FileHandle.nullDevice
        try host.run()
        // First line: the plugin's pid (from the shell); second: its handshake (so it is serving).
        var lines: [String] = []
        var buffer = Data()
        while lines.count < 2 {
            let chunk = stdout.fileHandleForReading.availableData
            try #require(!chunk.isEmpty, "the plugin stopped before its handshake")
            buffer += chunk
            while let newline = buffer.firstIndex(of: 0x0a) {
                lines.append(String(decoding: buffer[buffer.startIndex..<newline], as: UTF8.self))
                buffer = buffer[(newline + 1)...]
            }
        }
        let pid = try #require(Int32(lines[0]))
        #expect(lines[1].hasPrefix("1|1|unix|"))
        let socketPath = String(lines[1].split(separator: "|")[3])
        #expect(!self.hasEnded(pid))

        kill(host.processIdentifier, SIGKILL)
        host.waitUntilExit()
        let killed = ContinuousClock.now
        while !self.hasEnded(pid), ContinuousClock.now - killed < .seconds(1) { usleep(10_000) }
        #expect(self.hasEnded(pid), "the plugin still runs 1 s after its host was killed")
        while FileManager.default.fileExists(atPath: socketPath), ContinuousClock.now - killed < .seconds(2) { usleep(10_000) }
        #expect(!FileManager.default.fileExists(atPath: socketPath), "the plugin removed its socket on the way out")
        if !self.hasEnded(pid) { kill(pid, SIGKILL) }
    }
}

/// `plugboard run`, killed with SIGKILL, leaves no plugin behind.
@Suite("When a plugboard host is killed", .timeLimit(.minutes(1)))
struct PlugboardHostKillTests {
    @Test("every plugin of `plugboard run` ends within 1 s of the host's SIGKILL")
    func noOrphans() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("plugboard-kill-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let config = folder.appendingPathComponent("plugboard.yaml").path
        let yaml = """
            plugins:
              limiter: { path: \(TestEnvironment.binDirectory)/ratelimit-plugin }
              sync: { path: \(TestEnvironment.binDirectory)/stream-plugin }
            """
        try yaml.write(toFile: config, atomically: true, encoding: .utf8)
        let host = Process()
        host.executableURL = URL(fileURLWithPath: "\(TestEnvironment.binDirectory)/plugboard")
        host.arguments = ["run", "--config", config]
        let stdout = Pipe()
        host.standardOutput = stdout
        host.standardError = FileHandle.nullDevice
        try host.run()
        // A host that never says it is serving is killed, which ends the read loop below.
        let pid = host.processIdentifier
        DispatchQueue.global().asyncAfter(deadline: .now() + 30) { if ProcessTable.isRunning(pid) { kill(pid, SIGKILL) } }
        var output = ""
        while !output.contains("serving;") {
            let chunk = stdout.fileHandleForReading.availableData
            try #require(!chunk.isEmpty, "plugboard run stopped before serving: \(output)")
            output += String(decoding: chunk, as: UTF8.self)
        }
        let plugins = ProcessTable.children(of: host.processIdentifier)
        #expect(plugins.count == 2, "both plugins run under the host: \(output)")

        kill(host.processIdentifier, SIGKILL)
        host.waitUntilExit()
        let killed = ContinuousClock.now
        while plugins.contains(where: ProcessTable.isRunning), ContinuousClock.now - killed < .seconds(1) { usleep(10_000) }
        let left = plugins.filter(ProcessTable.isRunning)
        #expect(left.isEmpty, "plugins still running 1 s after the host's SIGKILL: \(left)")
        left.forEach { kill($0, SIGKILL) }
    }
}

/// Reads `/proc` for the tests that check the process table.
enum ProcessTable {
    /// Pids whose parent is `parent`.
    static func children(of parent: Int32) -> [Int32] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap(Int32.init).filter { self.stat($0)?.parent == parent }
    }

    /// Whether `pid` exists and is not a zombie.
    static func isRunning(_ pid: Int32) -> Bool {
        guard let state = self.stat(pid)?.state else { return false }
        return state != "Z" && state != "X"
    }

    private static func stat(_ pid: Int32) -> (state: Substring, parent: Int32)? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let fields = text.split(separator: ")").last?.split(separator: " "), fields.count > 1,
              let parent = Int32(fields[1])
        else { return nil }
        return (fields[0], parent)
    }
}
