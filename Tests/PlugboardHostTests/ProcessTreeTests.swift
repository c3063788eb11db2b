import Foundation
import Logging
import PlugboardCore
import PlugboardHost
import PlugboardSystem
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Issue 14: a plugin's misbehaving process tree cannot hold the host: stops and timeouts are
/// bounded, and nothing the plugin started outlives it.
@Suite("A plugin's process tree", .timeLimit(.minutes(2)))
struct ProcessTreeTests {
    let scratch = ScratchFolder("plugboard-tree")

    /// `plugboard run`'s stop: Shutdown (1 s), 2 s for the exit, SIGTERM and 1 s, then SIGKILL.
    static let grace: Duration = .seconds(4)

    /// Room for a loaded CI machine in the waits below; what they catch (a host that ignores its
    /// signal, a plugin left running) would go on for a minute or for good.
    static let slack: Duration = .seconds(5)

    @Test(
        "SIGTERM or SIGINT while a plugin is still starting ends `plugboard run` within its grace period",
        arguments: [SIGTERM, SIGINT])
    func stopWhileStarting(signal: Int32) async throws {
        let config = try self.config(["slow": "{ path: \(TestEnvironment.fixturePath), arguments: [slow-start] }"])
        let host = try Self.startHost(config)
        defer { Self.cleanUp(host) }
        let plugin = try #require(
            await Self.waitForChild(of: host.processIdentifier) {
                !$0.contains(PluginDescription.argument) && $0.contains("slow-start")
            }, "the plugin was never started")
        try await Task.sleep(for: .milliseconds(300))

        let sent = ContinuousClock.now
        kill(host.processIdentifier, signal)
        let exited = await Self.waitForExit(host, within: Self.grace + Self.slack)
        #expect(exited, "plugboard run still runs \(Self.grace + Self.slack) after the signal")
        #expect(ContinuousClock.now - sent < Self.grace + Self.slack)
        #expect(await Self.gone([plugin]).isEmpty, "the plugin is killed and reaped")
        #expect(Self.cgroups(of: host.processIdentifier).isEmpty, "the plugin's cgroup is removed")
    }

    @Test("the start timeout fires on time though the plugin's child holds stdout and stderr; nothing is left")
    func startTimeoutWithChildHoldingPipes() async throws {
        let (logger, _) = TestEnvironment.capturingLogger()
        let pids = try self.scratch.folder().appendingPathComponent("pids").path
        var spec = TestEnvironment.fixture("fork-silent", startTimeout: .seconds(1))
        spec.environment["FIXTURE_PID_FILE"] = pids
        let start = ContinuousClock.now
        let error = await #expect(throws: PluginError.self) {
            try await PluginHost.withPlugin(spec, logger: logger) { _ in }
        }
        let took = ContinuousClock.now - start
        #expect(error?.code == .startTimeout)
        // Before the fix it took the child's 60 s; 10 s leaves room for a loaded 2-core machine.
        #expect(took < .seconds(10), "the timeout was 1 s and the child sleeps 60 s; the host gave up after \(took)")
        let started = Self.recorded(pids) + (error?.pid.map { [$0] } ?? [])
        #expect(started.count == 2, "the plugin and its child")
        #expect(await Self.gone(started).isEmpty, "the plugin's child is killed with it")
    }

    @Test("stopping a plugin whose child holds stdout and stderr is on time; nothing is left")
    func stopWithChildHoldingPipes() async throws {
        let (logger, _) = TestEnvironment.capturingLogger()
        let pids = try self.scratch.folder().appendingPathComponent("pids").path
        var spec = TestEnvironment.fixture("fork-serve")
        spec.environment["FIXTURE_PID_FILE"] = pids
        let (pid, stopping) = try await PluginHost.withPlugin(spec, logger: logger) { plugin in
            (plugin.pid, ContinuousClock.now)
        }
        let took = ContinuousClock.now - stopping
        #expect(took < .seconds(20), "the plugin exits on Shutdown and its child sleeps 60 s; the stop took \(took)")
        let started = Self.recorded(pids) + [pid]
        #expect(started.count == 2, "the plugin and its child")
        #expect(await Self.gone(started).isEmpty, "the plugin's child is killed with it")
    }

    @Test("a setsid daemon the plugin started is gone after the plugin stops (where the host may create cgroups)")
    func setsidDaemon() async throws {
        let (logger, _) = TestEnvironment.capturingLogger()
        let pids = try self.scratch.folder().appendingPathComponent("pids").path
        var spec = TestEnvironment.fixture("setsid-daemon")
        spec.environment["FIXTURE_PID_FILE"] = pids
        let stopping = Locked<ContinuousClock.Instant?>(nil)
        let (daemon, inCgroup) = try await PluginHost.withPlugin(spec, logger: logger) { plugin in
            let daemon = try #require(Self.recorded(pids).first)
            try #require(
                await Self.waitUntil { Self.sessionID(daemon) == daemon }, "the daemon left the plugin's session")
            let cgroup = (try? String(contentsOfFile: "/proc/\(daemon)/cgroup", encoding: .utf8)) ?? ""
            stopping.withLock { $0 = .now }
            return (daemon, cgroup.contains("/plugboard-"))
        }
        let took = ContinuousClock.now - stopping.withLock { $0! }
        #expect(took < .seconds(20), "the daemon holds the pipes for 60 s; the stop took \(took)")
        let left = await Self.gone([daemon])
        if inCgroup {
            #expect(left.isEmpty, "the plugin's cgroup is killed as a whole")
        } else {
            // Without a cgroup (no cgroup v2, or not allowed to create one), a daemon that left
            // the process group is out of the host's reach; the host still stops on time.
            Issue.record("no cgroup for plugins here: the setsid daemon outlives its plugin (a known limitation)")
        }
    }

    @Test("a script plugin that exec'd `sleep` dies with its host's SIGKILL (PR_SET_PDEATHSIG from the host)")
    func scriptDiesWithHost() async throws {
        let (host, sleeper) = try await self.startSleeper()
        defer { Self.cleanUp(host) }

        kill(host.processIdentifier, SIGKILL)
        #expect(await Self.waitForExit(host, within: Self.slack))
        #expect(await Self.gone([sleeper]).isEmpty, "the plugin still runs 5 s after its host's SIGKILL")
    }

    @Test(
        "a plugin starts with /dev/null, its stdout and stderr pipes and nothing else open, no signal blocked or ignored, in its own process group and cgroup"
    )
    func cleanStart() async throws {
        let (host, sleeper) = try await self.startSleeper()
        defer { Self.cleanUp(host) }

        let descriptors = try FileManager.default.contentsOfDirectory(atPath: "/proc/\(sleeper)/fd").sorted()
        #expect(descriptors == ["0", "1", "2"], "the host's descriptors reached the plugin")
        let targets = descriptors.map {
            (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(sleeper)/fd/\($0)")) ?? ""
        }
        #expect(targets.first == "/dev/null")
        #expect(targets.dropFirst().allSatisfy { $0.hasPrefix("pipe:") }, "\(targets)")

        let status = try String(contentsOfFile: "/proc/\(sleeper)/status", encoding: .utf8).split(separator: "\n")
        for mask in ["SigBlk", "SigIgn"] {
            let value = status.first { $0.hasPrefix("\(mask):") }?.split(separator: "\t").last
            #expect(value == "0000000000000000", "\(mask) of the plugin: \(value ?? "missing")")
        }
        #expect(Self.processGroup(sleeper) == sleeper, "the plugin leads its own process group")
        if let cgroup = Self.cgroups(of: host.processIdentifier).first {
            let membership = try String(contentsOfFile: "/proc/\(sleeper)/cgroup", encoding: .utf8)
            #expect(membership.contains("/\(cgroup)"), "the plugin is not in its cgroup \(cgroup): \(membership)")
        }
    }

    // MARK: Helpers

    /// Starts `plugboard run` with a script plugin that execs `sleep 60` (keeping the plugin's pid);
    /// returns the host and the sleeping plugin.
    private func startSleeper() async throws -> (host: Process, sleeper: Int32) {
        let folder = try self.scratch.folder()
        let script = folder.appendingPathComponent("sleeper.sh").path
        let description =
            #"{"name":"sleeper","version":"0.1.0","serviceSets":[{"name":"sleeper","version":"1.0.0","services":["sleeper.v1.Sleeper"]}],"appProtocolVersions":[1]}"#
        try TestEnvironment.writeFile(
            script,
            Data(
                """
                #!/bin/sh
                if [ "$1" = "\(PluginDescription.argument)" ]; then echo '\(description)'; exit 0; fi
                exec sleep 60

                """.utf8))
        let config = try self.config(["sleeper": "{ path: \(script) }"])
        let host = try Self.startHost(config)
        guard
            let sleeper = await Self.waitForChild(
                of: host.processIdentifier, matching: { $0.hasPrefix("sleep\u{0}60") })
        else {
            Self.cleanUp(host)
            throw ProcessTreeError(description: "the script never exec'd sleep")
        }
        return (host, sleeper)
    }

    private func config(_ plugins: [String: String]) throws -> String {
        let path = try self.scratch.folder().appendingPathComponent("plugboard.yaml").path
        let yaml = "plugins:\n" + plugins.map { "  \($0.key): \($0.value)\n" }.joined()
        try yaml.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    private static func startHost(_ config: String) throws -> Process {
        let host = Process()
        host.executableURL = URL(fileURLWithPath: "\(TestEnvironment.binDirectory)/plugboard")
        host.arguments = ["run", "--config", config]
        host.standardOutput = FileHandle.nullDevice
        host.standardError = FileHandle.nullDevice
        try host.run()
        return host
    }

    /// Kills the host if it still runs, and waits for it.
    private static func cleanUp(_ host: Process) {
        if host.isRunning { kill(host.processIdentifier, SIGKILL) }
        host.waitUntilExit()
    }

    /// Waits up to 10 s for a child of `parent` whose NUL-separated command line matches.
    private static func waitForChild(of parent: Int32, matching: @escaping (String) -> Bool) async -> Int32? {
        var found: Int32?
        _ = await Self.waitUntil(.seconds(10)) {
            found = ProcessTable.children(of: parent).first { pid in
                (try? String(contentsOfFile: "/proc/\(pid)/cmdline", encoding: .utf8)).map(matching) ?? false
            }
            return found != nil
        }
        return found
    }

    private static func waitForExit(_ host: Process, within timeout: Duration) async -> Bool {
        let pid = host.processIdentifier
        return await Self.waitUntil(timeout) { !ProcessTable.isRunning(pid) }
    }

    /// Waits up to ``slack`` for `pids` to end; returns (and kills) those still running.
    private static func gone(_ pids: [Int32]) async -> [Int32] {
        _ = await Self.waitUntil(Self.slack) { !pids.contains(where: ProcessTable.isRunning) }
        let left = pids.filter(ProcessTable.isRunning)
        left.forEach { kill($0, SIGKILL) }
        return left
    }

    private static func waitUntil(_ timeout: Duration = .seconds(5), _ condition: () -> Bool) async -> Bool {
        let start = ContinuousClock.now
        while !condition() {
            guard ContinuousClock.now - start < timeout else { return false }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return true
    }

    /// Plugin cgroups the host `pid` made that still exist.
    private static func cgroups(of pid: Int32) -> [String] {
        ["/sys/fs/cgroup", "/sys/fs/cgroup/unified"].flatMap { folder in
            ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).filter {
                $0.hasPrefix("plugboard-\(pid)-")
            }
        }
    }

    private static func recorded(_ path: String) -> [Int32] {
        ((try? String(contentsOfFile: path, encoding: .utf8)) ?? "").split(separator: "\n").compactMap { Int32($0) }
    }

    private static func sessionID(_ pid: Int32) -> Int32? {
        ProcessStat.fields(of: pid).flatMap { $0.count > 3 ? Int32($0[3]) : nil }
    }

    private static func processGroup(_ pid: Int32) -> Int32? {
        ProcessStat.fields(of: pid).flatMap { $0.count > 2 ? Int32($0[2]) : nil }
    }
}

private struct ProcessTreeError: Error, CustomStringConvertible { var description: String }
