import Foundation
import PlugboardCore
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A Plugboard plugin never outlives its host. The hosts here are child processes; everything that
/// blocks on them runs off the shared thread pool (`TestEnvironment.offThePool`).
@Suite("When the host dies", .timeLimit(.minutes(1)))
struct HostDeathTests {
    @Test("the plugin exits within 5 s of its host being killed with SIGKILL")
    func pluginExitsWithHost() async throws {
        // The "host" is a shell that starts the plugin with the cookie and then waits.
        let (host, lines) = try await Self.shellHost("\"$0\" & echo $!; wait")
        let pid = try #require(Int32(lines[0]))
        #expect(lines[1].hasPrefix("1|1|unix|"))
        let socketPath = String(lines[1].split(separator: "|")[3])
        #expect(ProcessTable.isRunning(pid))

        let left = try await TestEnvironment.offThePool { ProcessTable.kill(host, thenWaitFor: [pid]) }
        #expect(left.isEmpty, "the plugin still runs 5 s after its host was killed")
        let removed = ContinuousClock.now
        while FileManager.default.fileExists(atPath: socketPath), ContinuousClock.now - removed < .seconds(5) {
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(!FileManager.default.fileExists(atPath: socketPath), "the plugin removed its socket on the way out")
    }

    @Test("every plugin of `plugboard run` ends within 5 s of the host's SIGKILL")
    func noOrphans() async throws {
        let scratch = ScratchFolder("plugboard-kill")
        defer { withExtendedLifetime(scratch) {} }
        let folder = scratch.url
        let config = folder.appendingPathComponent("plugboard.yaml").path
        let yaml = """
            plugins:
              limiter: { path: \(TestEnvironment.binDirectory)/ratelimit-plugin }
              sync: { path: \(TestEnvironment.binDirectory)/stream-plugin }
            """
        try yaml.write(toFile: config, atomically: true, encoding: .utf8)
        let (host, output) = try await Self.runHost(config: config)
        let plugins = ProcessTable.children(of: host.processIdentifier)
        #expect(plugins.count == 2, "both plugins run under the host: \(output)")

        let left = try await TestEnvironment.offThePool { ProcessTable.kill(host, thenWaitFor: plugins) }
        #expect(left.isEmpty, "plugins still running 5 s after the host's SIGKILL: \(left)")
    }

    @Test("a plugin behind a wrapper that outlives the host (sh -c under sh -c) ends within 5 s of the host's SIGKILL")
    func pluginBehindWrapperExitsWithHost() async throws {
        let scratch = ScratchFolder("plugboard-wrapped")
        defer { withExtendedLifetime(scratch) {} }
        let config = scratch.url.appendingPathComponent("plugboard.yaml").path
        // The outer shell is the host's child and dies with it (PR_SET_PDEATHSIG); the inner one
        // is not, and stays the plugin's parent: only PLUGBOARD_HOST_PID tells the plugin its
        // host is gone. `; true` keeps each shell from exec'ing; "$@" passes on --describe.
        let arguments = ["-c", #"/bin/sh -c '"$0" echo "$@"; true' "$0" "$@"; true"#, TestEnvironment.fixturePath]
        let encoder = JSONEncoder()
        encoder.outputFormatting = .withoutEscapingSlashes
        let yaml =
            "plugins:\n  wrapped:\n    path: /bin/sh\n    arguments: \(String(decoding: try encoder.encode(arguments), as: UTF8.self))\n"
        try yaml.write(toFile: config, atomically: true, encoding: .utf8)
        let (host, _) = try await Self.runHost(config: config)
        let outer = ProcessTable.children(of: host.processIdentifier)
        let inner = outer.flatMap(ProcessTable.children(of:))
        let plugins = inner.flatMap(ProcessTable.children(of:))
        try #require(
            outer.count == 1 && inner.count == 1 && plugins.count == 1,
            "host → sh → sh → plugin: \(outer) \(inner) \(plugins)")

        let left = try await TestEnvironment.offThePool { ProcessTable.kill(host, thenWaitFor: plugins + inner) }
        #expect(left.isEmpty, "the plugin (or its wrapper) still runs 5 s after the host's SIGKILL: \(left)")
    }

    @Test("a plugin's own children end within 5 s of the host's SIGKILL too (the host's warden)")
    func childrenExitWithHost() async throws {
        let scratch = ScratchFolder("plugboard-warden")
        defer { withExtendedLifetime(scratch) {} }
        let config = scratch.url.appendingPathComponent("plugboard.yaml").path
        let pidFile = scratch.url.appendingPathComponent("pids").path
        // fork-serve starts `sleep 60` (not exec'd: PR_SET_PDEATHSIG does not reach it), then serves.
        let yaml = """
            plugins:
              forking:
                path: \(TestEnvironment.fixturePath)
                arguments: [fork-serve]
                environment: { FIXTURE_PID_FILE: \(pidFile) }
            """
        try yaml.write(toFile: config, atomically: true, encoding: .utf8)
        let (host, _) = try await Self.runHost(config: config)
        let plugins = ProcessTable.children(of: host.processIdentifier)
        let children = ((try? String(contentsOfFile: pidFile, encoding: .utf8)) ?? "").split(separator: "\n").compactMap
        { Int32($0) }
        try #require(plugins.count == 1 && children.count == 1, "host → plugin → sleep: \(plugins) \(children)")
        #expect(ProcessTable.isRunning(children[0]))

        let left = try await TestEnvironment.offThePool { ProcessTable.kill(host, thenWaitFor: plugins + children) }
        #expect(
            left.isEmpty,
            "still running 5 s after the host's SIGKILL: \(left) (plugin \(plugins), its child \(children))")
    }

    @Test("a PLUGBOARD_HOST_PID that is not an ancestor is ignored")
    func hostPIDOfAStranger() async throws {
        // A go-plugin-style shell host (no PLUGBOARD_HOST_PID of its own) passes the pid of a
        // `sleep` it started beside the plugin; the sleep's death must not stop the plugin.
        let (host, lines) = try await Self.shellHost(#"sleep 30 & PLUGBOARD_HOST_PID=$! "$0" & echo $!; wait"#)
        let pid = try #require(Int32(lines[0]))
        let stranger = try #require(ProcessTable.children(of: host.processIdentifier).first { $0 != pid })
        kill(stranger, SIGKILL)
        try await Task.sleep(for: .milliseconds(600))  // proving an absence: longer than the 250 ms poll
        #expect(ProcessTable.isRunning(pid), "the plugin stopped when a process that is not its host died")
        let left = try await TestEnvironment.offThePool { ProcessTable.kill(host, thenWaitFor: [pid]) }
        #expect(left.isEmpty)
    }

    /// Starts `plugboard run --config config` and returns once it prints that it is serving.
    static func runHost(config: String) async throws -> (Process, String) {
        let host = Process()
        host.executableURL = URL(fileURLWithPath: "\(TestEnvironment.binDirectory)/plugboard")
        host.arguments = ["run", "--config", config]
        let stdout = Pipe()
        host.standardOutput = stdout
        host.standardError = FileHandle.nullDevice
        try host.run()
        let output = try await TestEnvironment.offThePool {
            ProcessTable.read(stdout, until: { $0.contains("serving;") }, from: host)
        }
        try #require(output.contains("serving;"), "plugboard run stopped before serving: \(output)")
        return (host, output)
    }

    /// Starts a shell "host" running `script` with the fixture as `$0` and the cookie in its
    /// environment; returns once it printed two lines: the plugin's pid, then its handshake.
    static func shellHost(_ script: String) async throws -> (Process, [String]) {
        let host = Process()
        host.executableURL = URL(fileURLWithPath: "/bin/sh")
        host.arguments = ["-c", script, TestEnvironment.fixturePath]
        host.environment = HandshakeConfig.plugboard(appProtocolVersions: [1]).hostEnvironment.merging([
            "PATH": "/usr/bin:/bin"
        ]) { $1 }
        let stdout = Pipe()
        host.standardOutput = stdout
        host.standardError = FileHandle.nullDevice
        try host.run()
        let output = try await TestEnvironment.offThePool {
            ProcessTable.read(stdout, until: { $0.filter { $0 == "\n" }.count >= 2 }, from: host)
        }
        let lines = output.split(separator: "\n").map(String.init)
        try #require(lines.count >= 2, "the plugin stopped before its handshake: \(output)")
        return (host, lines)
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

    /// Reads `pipe` until `done` says the text so far is enough, or the pipe closes. A host that
    /// takes over 30 s is killed, which closes the pipe.
    static func read(_ pipe: Pipe, until done: (String) -> Bool, from host: Process) -> String {
        let pid = host.processIdentifier
        DispatchQueue.global().asyncAfter(deadline: .now() + 30) { if isRunning(pid) { Glibc.kill(pid, SIGKILL) } }
        var output = ""
        while !done(output) {
            let chunk = pipe.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            output += String(decoding: chunk, as: UTF8.self)
        }
        return output
    }

    /// SIGKILLs `host`, waits up to 5 s for `pids` to end, and returns those still running (which
    /// are then killed, so a failing test leaves nothing behind). They end within a few hundred
    /// milliseconds; 5 s leaves room for a loaded CI machine, and a missed kill would run on for 30 s
    /// or more.
    static func kill(_ host: Process, thenWaitFor pids: [Int32]) -> [Int32] {
        Glibc.kill(host.processIdentifier, SIGKILL)
        host.waitUntilExit()
        let killed = ContinuousClock.now
        while pids.contains(where: isRunning), ContinuousClock.now - killed < .seconds(5) { usleep(10_000) }
        let left = pids.filter(isRunning)
        left.forEach { Glibc.kill($0, SIGKILL) }
        return left
    }
}
