import Foundation
import PlugboardCore
import PlugboardHost
import Synchronization
import Testing

/// Issue 14: a plugin that breaks HTTP/2 can't grow the host's memory; it fails at once, and the
/// error says what it did.
@Suite("A plugin breaking HTTP/2", .serialized, .timeLimit(.minutes(1)))
struct HTTP2AttackTests {
    /// The host's resident memory may grow by at most this much during an attack (before the fix:
    /// 512 MiB for 512 MiB of garbage, 3 GiB within 12 s of a DATA flood).
    static let growthBound = 64 * 1024  // KiB

    @Test(
        "random bytes or a DATA flood ignoring flow control: closed at once, bounded memory, a clear error",
        arguments: ["http2-garbage", "http2-flood"])
    func attack(mode: String) async throws {
        let scratch = ScratchFolder("plugboard-h2")
        let sentFile = scratch.url.appendingPathComponent("sent").path
        var spec = TestEnvironment.fixture(mode)
        spec.environment["FIXTURE_SENT_FILE"] = sentFile
        let (logger, _) = TestEnvironment.capturingLogger()

        let baseline = Self.residentKilobytes()
        let peak = Atomic<Int>(baseline)
        let sampler = Task.detached {
            while !Task.isCancelled {
                let now = Self.residentKilobytes()
                _ = peak.max(now, ordering: .relaxed)
                try? await Task.sleep(for: .milliseconds(5))
            }
        }
        let started = ContinuousClock.now
        let error = await #expect(throws: PluginError.self) {
            try await PluginHost.withPlugin(spec, logger: logger) { _ in }
        }
        let elapsed = ContinuousClock.now - started
        sampler.cancel()
        _ = await sampler.value
        let growth = peak.load(ordering: .relaxed) - baseline
        let sent = ((try? String(contentsOfFile: sentFile, encoding: .utf8)) ?? "")
            .split(separator: "\n").compactMap { Int($0) }.reduce(0, +)
        print(
            "\(mode): failed after \(elapsed), host RSS peak +\(growth / 1024) MiB (baseline \(baseline / 1024) MiB), plugin sent \(sent / 1024) KiB: \(error.map { "\($0)" } ?? "no error")"
        )

        #expect(error?.code == .protocolViolation, "\(error.map { "\($0)" } ?? "no error")")
        #expect(error?.pluginName == spec.name)
        let text = error?.description ?? ""
        #expect(text.contains("the plugin broke the HTTP/2 protocol: "), "says what happened: \(text)")
        #expect(text.contains(spec.name), "names the plugin: \(text)")
        // The code above already tells a protocol violation from a deadline; this bounds the time
        // below the 10 s health deadline, with room for a loaded 2-core machine.
        #expect(elapsed < .seconds(8), "failed promptly, not at the 10 s health deadline: \(elapsed)")
        #expect(growth < Self.growthBound, "the host's RSS grew \(growth) KiB")
        if let pid = error?.pid { #expect(!TestEnvironment.processExists(pid), "the plugin is killed and reaped") }
    }

    static func residentKilobytes() -> Int {
        let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
        let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") }
        return line?.split(whereSeparator: { $0 == " " || $0 == "\t" }).dropFirst().first.flatMap { Int($0) } ?? 0
    }
}
