import Foundation
import GRPCCore
import PlugboardCore
import PlugboardHost
import RateLimitServiceSet
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// What plugins say about themselves (`--describe`) is checked before any of them starts.
@Suite("Plugin discovery and descriptions", .timeLimit(.minutes(1)))
struct CatalogTests {
    let scratch = ScratchFolder("plugboard-catalog")

    /// A stand-in plugin: a shell script that prints `json` for --describe.
    func describing(_ json: String, name: String) throws -> PluginSpec {
        let path = try self.scratch.folder().appendingPathComponent(name).path
        try TestEnvironment.writeFile(path, Data("#!/bin/sh\ncat <<'JSON'\n\(json)\nJSON\n".utf8))
        return PluginSpec(path: path)
    }

    func description(_ sets: [String], versions: [Int] = [1]) -> String {
        let list = sets.map { "{\"name\": \"\($0)\", \"version\": \"1.0.0\", \"services\": [\"\($0).v1.S\"]}" }.joined(
            separator: ", ")
        return
            "{\"name\": \"p\", \"version\": \"1.0.0\", \"serviceSets\": [\(list)], \"appProtocolVersions\": \(versions)}"
    }

    @Test("the fixture plugin describes itself through the SDK")
    func realDescription() async throws {
        let description = try await PluginDescriber.describe(PluginSpec(path: TestEnvironment.fixturePath))
        #expect(description.name == "plugboard-fixture")
        #expect(description.serviceSets.map(\.name) == ["echo", "ratelimit"])
        #expect(description.appProtocolVersions == [1])
    }

    @Test("two plugins claiming the same service set are refused")
    func conflict() async throws {
        let first = try self.describing(self.description(["ratelimit"]), name: "first")
        let second = try self.describing(self.description(["stream", "ratelimit"]), name: "second")
        let error = await #expect(throws: PluginError.self) { try await PluginCatalog.load([first, second]) }
        #expect(error?.code == .serviceSetConflict, "\(error.map { "\($0)" } ?? "")")
        #expect(error?.message.contains("\"ratelimit\"") == true && error?.message.contains(first.path) == true)
    }

    @Test("a plugin with no service set, or only versions the host cannot speak, is refused")
    func unusable() async throws {
        let none = await #expect(throws: PluginError.self) {
            try await PluginCatalog.load([try self.describing(self.description([]), name: "none")])
        }
        #expect(none?.code == .noServiceSets)
        let future = await #expect(throws: PluginError.self) {
            try await PluginCatalog.load([try self.describing(self.description(["x"], versions: [7]), name: "future")])
        }
        #expect(future?.code == .appVersionUnsupported)
        let garbage = await #expect(throws: PluginError.self) {
            try await PluginCatalog.load([try self.describing("not json", name: "garbage")])
        }
        #expect(garbage?.code == .invalidDescription)
        #expect(garbage?.message.contains("not json") == true)
    }

    @Test("a checksum mismatch stops the plugin before it runs")
    func checksum() async throws {
        var spec = try self.describing(self.description(["x"]), name: "tampered")
        spec.sha256 = String(repeating: "0", count: 64)
        let error = await #expect(throws: PluginError.self) { try await PluginDescriber.describe(spec) }
        #expect(error?.code == .checksumMismatch)
        #expect(error?.executablePath == spec.path)
    }

    @Test("the checksum is the file's SHA-256 in lower-case hex, across read chunks")
    func checksumValue() throws {
        let folder = ScratchFolder("checksum")
        let small = folder.url.appendingPathComponent("abc").path
        try Data("abc".utf8).write(to: URL(fileURLWithPath: small))
        // FIPS 180-2's test vector for "abc".
        #expect(
            try Checksum.sha256(ofFileAt: small) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        // Larger than the 1 MiB chunks the file is read in, against coreutils' sha256sum.
        let large = folder.url.appendingPathComponent("large").path
        try Data((0..<(3 << 20) + 5).map { UInt8(truncatingIfNeeded: $0 &* 31) }).write(to: URL(fileURLWithPath: large))
        let sha256sum = Process()
        sha256sum.executableURL = URL(fileURLWithPath: "/usr/bin/sha256sum")
        sha256sum.arguments = [large]
        let output = Pipe()
        sha256sum.standardOutput = output
        try sha256sum.run()
        let printed = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        sha256sum.waitUntilExit()
        #expect(try Checksum.sha256(ofFileAt: large) == String(printed.prefix(64)))
        #expect(throws: PluginError.self) {
            try Checksum.sha256(ofFileAt: folder.url.appendingPathComponent("none").path)
        }
    }

    @Test("a --describe that floods stdout is killed past 1 MiB, with an error naming the plugin and its path")
    func describeFlood() async throws {
        let spec = TestEnvironment.fixture("describe-flood")
        let started = ContinuousClock.now
        let error = await #expect(throws: PluginError.self) {
            try await PluginDescriber.describe(spec, timeout: .seconds(20))
        }
        // The timeout is 20 s; a loaded machine may take a few seconds to start the plugin.
        #expect(ContinuousClock.now - started < .seconds(15), "killed at the cap, not at the timeout")
        #expect(error?.code == .invalidDescription)
        #expect(
            error?.message.contains("at most \(PluginDescriber.outputLimit) bytes, but it printed more") == true,
            "\(error.map { "\($0)" } ?? "")")
        #expect(error?.pluginName == spec.name && error?.executablePath == spec.path)
        #expect(error?.termination == .signaled(SIGKILL))
    }

    @Test(
        "a --describe whose daemon holds stdout: the description is read once the plugin exits, not when the daemon lets go"
    )
    func describeForkHoldingStdout() async throws {
        let pids = try self.scratch.folder().appendingPathComponent("pids").path
        let spec = PluginSpec(
            path: TestEnvironment.fixturePath, name: "describe-fork", arguments: ["describe-fork", pids])
        let started = ContinuousClock.now
        let description = try await PluginDescriber.describe(spec, timeout: .seconds(20))
        #expect(ContinuousClock.now - started < .seconds(10), "the daemon holds the pipe for 60 s; the timeout is 20 s")
        #expect(description.name == "describe-fork")
        try await Self.expectGone(daemonIn: pids)
    }

    @Test("a --describe that never answers while its daemon holds stdout fails at the timeout, tree killed")
    func describeHang() async throws {
        let pids = try self.scratch.folder().appendingPathComponent("pids").path
        let spec = PluginSpec(
            path: TestEnvironment.fixturePath, name: "describe-hang", arguments: ["describe-hang", pids])
        let started = ContinuousClock.now
        let error = await #expect(throws: PluginError.self) {
            try await PluginDescriber.describe(spec, timeout: .seconds(1))
        }
        #expect(
            ContinuousClock.now - started < .seconds(20),
            "a 1 s timeout, then the kill and 250 ms for the pipes, on a machine that may be loaded; the daemon holds them for 60 s"
        )
        #expect(error?.code == .invalidDescription)
        #expect(
            error?.message.contains(
                "within 1.0 seconds, but it was still running, so it was killed with its process tree") == true,
            "\(error.map { "\($0)" } ?? "")")
        #expect(error?.pluginName == "describe-hang" && error?.executablePath == TestEnvironment.fixturePath)
        try await Self.expectGone(daemonIn: pids)
    }

    /// The `setsid` daemon recorded in `pids` is gone where the host put it in a cgroup; elsewhere
    /// it escaped the host's reach (a known limitation), and the test ends it.
    static func expectGone(daemonIn pids: String) async throws {
        let text = try String(contentsOfFile: pids, encoding: .utf8)
        let daemon = try #require(Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)))
        let deadline = ContinuousClock.now + .seconds(5)  // room for a loaded machine; the daemon sleeps 60 s
        while ProcessTable.isRunning(daemon), ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(10))
        }
        guard ProcessTable.isRunning(daemon) else { return }
        let cgroup = (try? String(contentsOfFile: "/proc/\(daemon)/cgroup", encoding: .utf8)) ?? ""
        kill(daemon, SIGKILL)
        #expect(!cgroup.contains("/plugboard-"), "the daemon is still in the plugin's cgroup, which was not killed")
    }

    @Test("a description that lies: the first call gets UNIMPLEMENTED naming the plugin and the service")
    func lyingDescription() async throws {
        let (logger, _) = TestEnvironment.capturingLogger()
        let spec = TestEnvironment.fixture("echo")
        try await PluginHost.withPlugin(spec, logger: logger) { plugin in
            let limiter = Ratelimit_V1_RateLimiter.Client(wrapping: plugin.client)
            let error = await #expect(throws: RPCError.self) { try await limiter.check(.with { $0.resource = "r" }) }
            #expect(error?.code == .unimplemented)
            #expect(error?.message.contains("plugin \"\(spec.name)\"") == true)
            #expect(error?.message.contains("ratelimit.v1.RateLimiter/Check") == true)
        }
    }
}
