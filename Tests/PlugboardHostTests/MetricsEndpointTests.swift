import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `plugboard run` and `plugboard load` with `--metrics`: the endpoint over HTTP, scraped and
/// parsed by the Python Prometheus client while the host runs.
@Suite("The --metrics endpoint", .timeLimit(.minutes(2)))
struct MetricsEndpointTests {
    @Test(
        "a scrape during `plugboard load` parses, and counts the checks, restarts and failures the load's own report counts"
    )
    func duringLoad() async throws {
        let (host, stdout, stderr) = try Self.start([
            "load", "--plugin", "\(TestEnvironment.binDirectory)/ratelimit-plugin", "--callers", "2", "--seconds", "8",
            "--kill-every", "1", "--json", "--metrics", "127.0.0.1:0",
        ])
        let url = try await Self.endpoint(stderr, of: host)
        // Scrape until the load has made calls and lived through a restart: it runs for 8 s after
        // its plugin's first start, which a loaded machine makes late.
        let restartsLabels = ["plugin": "ratelimit-plugin"]
        var during: [PrometheusSample] = []
        let deadline = ContinuousClock.now + .seconds(30)
        repeat {
            try await Task.sleep(for: .milliseconds(500))
            during = try await PrometheusSample.scrape(url)
        } while (during.value("plugboard_plugin_restarts_total", restartsLabels) ?? 0) < 1
            && ContinuousClock.now < deadline
        let report = try await TestEnvironment.offThePool { () -> Data in
            let data = stdout.fileHandleForReading.readDataToEndOfFile()
            host.waitUntilExit()
            return data
        }
        #expect(host.terminationStatus == 0)
        let json = try #require(
            try JSONSerialization.jsonObject(with: report) as? [String: Any],
            "\(String(decoding: report, as: UTF8.self))")
        let check = ["plugin": "ratelimit-plugin", "method": "ratelimit.v1.RateLimiter/Check"]
        let ok = try #require(
            during.value("plugboard_calls_total", check.merging(["code": "ok"]) { $1 }), "no Check calls in the scrape")
        #expect(
            ok > 0 && ok <= Double((json["succeeded"] as? Int) ?? 0),
            "the scrape came during the load, before its last calls")
        #expect(
            during.value("plugboard_calls_in_flight", check).map { $0 >= 0 && $0 <= 2 } == true,
            "at most one call per caller in flight")
        let restarts = try #require(during.value("plugboard_plugin_restarts_total", ["plugin": "ratelimit-plugin"]))
        #expect(
            restarts >= 1 && restarts <= Double((json["restarts"] as? Int) ?? 0),
            "scraped after a restart, before the last")
        // Every failure is followed by a restart; the scrape may fall between the two.
        let failures = during.value("plugboard_plugin_failures_total", ["plugin": "ratelimit-plugin"]) ?? -1
        #expect(failures == restarts || failures == restarts + 1, "failures \(failures), restarts \(restarts)")
        #expect(during.contains { $0.name == "plugboard_plugin_start_seconds_bucket" })
    }

    @Test(
        "`plugboard run --metrics` serves each plugin's state and start time, and prints status lines when stdout is no terminal"
    )
    func duringRun() async throws {
        let scratch = ScratchFolder("plugboard-metrics")
        defer { withExtendedLifetime(scratch) {} }
        let config = scratch.url.appendingPathComponent("plugboard.yaml").path
        try "plugins:\n  limiter: { path: \(TestEnvironment.binDirectory)/ratelimit-plugin }\n".write(
            toFile: config, atomically: true, encoding: .utf8)
        let (host, stdout, stderr) = try Self.start([
            "run", "--config", config, "--metrics", "127.0.0.1:0", "--status-every", "0.2",
        ])
        let url = try await Self.endpoint(stderr, of: host)
        let output = try await TestEnvironment.offThePool {
            ProcessTable.read(stdout, until: { $0.contains("status: limiter") }, from: host)
        }
        #expect(output.contains("status: limiter ready, 0.0 calls/s, 0 errors, p99 -, 0 restarts"), "\(output)")
        let samples = try await PrometheusSample.scrape(url)
        #expect(samples.value("plugboard_plugin_state", ["plugin": "limiter", "state": "ready"]) == 1)
        #expect(samples.value("plugboard_plugin_state", ["plugin": "limiter", "state": "starting"]) == 0)
        #expect(samples.value("plugboard_plugin_start_seconds_count", ["plugin": "limiter"]) == 1)
        kill(host.processIdentifier, SIGTERM)
        try await TestEnvironment.offThePool { host.waitUntilExit() }
        #expect(host.terminationStatus == 0)
    }

    /// Starts `plugboard` with `arguments`, its stdout and stderr piped.
    private static func start(_ arguments: [String]) throws -> (Process, stdout: Pipe, stderr: Pipe) {
        let host = Process()
        host.executableURL = URL(fileURLWithPath: "\(TestEnvironment.binDirectory)/plugboard")
        host.arguments = arguments
        let stdout = Pipe()
        let stderr = Pipe()
        host.standardOutput = stdout
        host.standardError = stderr
        try host.run()
        return (host, stdout, stderr)
    }

    /// The `metrics: http://…/metrics` line the host prints on stderr once it listens.
    private static func endpoint(_ stderr: Pipe, of host: Process) async throws -> String {
        let text = try await TestEnvironment.offThePool {
            ProcessTable.read(stderr, until: { $0.contains("/metrics\n") }, from: host)
        }
        let line = try #require(
            text.split(separator: "\n").first { $0.hasPrefix("metrics: http://") },
            "no endpoint line on stderr: \(text)")
        return String(line.dropFirst("metrics: ".count))
    }
}
