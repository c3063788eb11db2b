import Foundation
import Testing

/// Resources must not leak across restarts, brokered connections included. The check runs
/// `plugboard load` as its own process, so the figures are the host's alone, not those of the
/// tests running beside it.
@Suite("100 crash/restart cycles", .timeLimit(.minutes(3)))
struct CrashCycleTests {
    @Test("leave the host's file descriptors, threads and memory flat, and lose no call")
    func hundredCycles() async throws {
        let host = Process()
        host.executableURL = URL(fileURLWithPath: "\(TestEnvironment.binDirectory)/plugboard")
        host.arguments = [
            "load", "--plugin", "\(TestEnvironment.binDirectory)/ratelimit-plugin",
            "--callers", "2", "--kills", "100", "--kill-every", "0.02", "--json",
        ]
        let output = try await host.outputs().stdout
        let report = try #require(
            try JSONSerialization.jsonObject(with: output) as? [String: Any],
            "\(String(decoding: output, as: UTF8.self))")
        func number(_ key: String) -> Int { (report[key] as? NSNumber)?.intValue ?? -1 }
        #expect(host.terminationStatus == 0, "\(report)")
        #expect(number("kills") == 100 && number("restarts") == 100)
        #expect(
            number("lost") == 0, "every call succeeded or failed with a typed error: \(report["lost_examples"] ?? "")")
        #expect(number("unprepared") == 0, "every restarted plugin had its rules re-applied before it served")
        #expect(number("succeeded") > 0 && number("failed_typed") > 0)
        // Every instance dials the tier directory its host serves on that instance's broker; those
        // connections and sockets die with the instance, inside the flat figures below.
        #expect(number("tier_lookups") > 0, "the plugin called the host's tier directory back through the broker")
        #expect(
            number("fds_end") <= number("fds_start"),
            "file descriptors: \(number("fds_start")) → \(number("fds_end")), open at the end and not at the start: \(report["fds_added"] ?? "")"
        )
        // The last killed instance's reaper and pipe threads may still be finishing (250 ms at most)
        // when the end is measured; a leak would add threads on each of the 90 cycles.
        #expect(
            number("threads_end") <= number("threads_start") + 2,
            "threads: \(number("threads_start")) → \(number("threads_end"))")
        let growth = number("rss_kb_end") - number("rss_kb_start")
        #expect(growth < 8 * 1024, "resident memory grew \(growth) KiB over 90 cycles")
    }
}
