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
