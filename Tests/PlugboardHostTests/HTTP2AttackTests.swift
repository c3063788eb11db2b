import Foundation
import PlugboardCore
import PlugboardHost
import Testing

/// Issue 14: a plugin that breaks HTTP/2 can't grow the host's memory; it fails at once, and the
/// error says what it did.
@Suite("A plugin breaking HTTP/2", .serialized, .timeLimit(.minutes(1)))
struct HTTP2AttackTests {
    /// The host's resident memory may grow by at most this much during an attack, peak included
    /// (before the fix: 512 MiB for 512 MiB of garbage, 3 GiB within 12 s of a DATA flood).
    static let growthBound = 64 * 1024  // KiB

    @Test(
        "random bytes or a DATA flood ignoring flow control: closed at once, bounded memory, a clear error",
        arguments: ["http2-garbage", "http2-flood"])
    func attack(mode: String) async throws {
        let scratch = ScratchFolder("plugboard-h2")
        let sentFile = scratch.url.appendingPathComponent("sent").path
        // The host runs in a process of its own, so that only its memory is measured (in this
        // process, suites running in parallel would count as growth).
        let host = Process()
        host.executableURL = URL(fileURLWithPath: "\(TestEnvironment.binDirectory)/attack-host")
        host.arguments = [TestEnvironment.fixturePath, mode, "FIXTURE_SENT_FILE=\(sentFile)"]
        let (stdout, stderr) = try await host.outputs()
        #expect(host.terminationStatus == 0, "attack-host: \(String(decoding: stderr, as: UTF8.self))")
        let report = try #require(
            try JSONSerialization.jsonObject(with: stdout) as? [String: Any],
            "\(String(decoding: stdout, as: UTF8.self))")
        let text = report["error"] as? String ?? "no error"
        let name = try #require(report["name"] as? String)
        let growth = try #require(report["growthKB"] as? Int)
        let elapsed = Duration.milliseconds(try #require(report["elapsedMs"] as? Double))
        let sent = ((try? String(contentsOfFile: sentFile, encoding: .utf8)) ?? "")
            .split(separator: "\n").compactMap { Int($0) }.reduce(0, +)
        print(
            "\(mode): failed after \(elapsed), host RSS peak +\(growth / 1024) MiB (baseline \((report["baselineKB"] as? Int ?? 0) / 1024) MiB), plugin sent \(sent / 1024) KiB: \(text)"
        )

        #expect(report["code"] as? String == "\(PluginError.Code.protocolViolation)", "\(text)")
        #expect(report["pluginName"] as? String == name)
        #expect(text.contains("the plugin broke the HTTP/2 protocol: "), "says what happened: \(text)")
        #expect(text.contains(name), "names the plugin: \(text)")
        // The code above already tells a protocol violation from a deadline; this bounds the time
        // below the 10 s health deadline, with room for a loaded 2-core machine.
        #expect(elapsed < .seconds(8), "failed promptly, not at the 10 s health deadline: \(elapsed)")
        #expect(growth < Self.growthBound, "the host's RSS grew \(growth) KiB")
        let pid = try #require(report["pid"] as? Int)
        #expect(!TestEnvironment.processExists(Int32(pid)), "the plugin is killed and reaped")
    }
}
