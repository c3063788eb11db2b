import Foundation
import GRPCCore
import InMemoryLogging
import PlugboardCore
import PlugboardHost
import PlugboardTestV1
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Issue 13: a plugin started by hand for debugging, and hosts that attach to it instead of
/// starting one (go-plugin's ReattachConfig).
@Suite("Reattaching to a plugin started by hand", .timeLimit(.minutes(2)))
struct ReattachTests {
    let scratch = ScratchFolder("plugboard-reattach")

    func echo(_ plugin: RunningPlugin, _ text: String) async throws -> String {
        try await Plugboard_Test_V1_Echo.Client(wrapping: plugin.client).get(.with { $0.text = text }).text
    }

    /// The fixture started by hand with `--debug`, and a spec named "debugged" that attaches to it
    /// from the record it printed.
    static func debuggedFixture() async throws -> (HandStartedPlugin, PluginSpec) {
        let plugin = try await HandStartedPlugin.fixtureInDebugMode()
        do {
            let record = try plugin.debugRecord().record
            return (plugin, PluginSpec(path: TestEnvironment.fixturePath, name: "debugged", reattach: record))
        } catch {
            plugin.kill()
            throw error
        }
    }

    /// ``debuggedFixture()`` with a supervisor that attaches to it, and the supervisor's logger.
    static func debuggedSupervisor() async throws -> (HandStartedPlugin, PluginSupervisor, Logger) {
        let (plugin, spec) = try await Self.debuggedFixture()
        let (logger, _) = TestEnvironment.capturingLogger()
        return (plugin, PluginSupervisor(spec: spec, policy: SupervisionHarness.policy(), logger: logger), logger)
    }

    @Test("`--debug` prints a record to paste and a sentence; hosts attach in turn and leave the plugin running")
    func swiftPluginLeftRunning() async throws {
        let plugin = try await HandStartedPlugin.fixtureInDebugMode()  // no cookie in its environment
        defer { plugin.kill() }
        let (name, record) = try plugin.debugRecord()
        #expect(name == "plugboard-fixture")
        #expect(
            record.pid == plugin.pid && record.transportProtocol == "grpc" && record.appProtocolVersion == 1
                && !record.killOnStop)
        #expect(
            plugin.lines[1].contains("pid \(plugin.pid)") && plugin.lines[1].contains("Ctrl-C"), "\(plugin.lines[1])")

        let (logger, logs) = TestEnvironment.capturingLogger()
        let spec = PluginSpec(path: TestEnvironment.fixturePath, name: name, reattach: record)
        for round in 1...2 {
            let answered = try await PluginHost.withPlugin(spec, logger: logger) { attached in
                #expect(
                    attached.pid == plugin.pid && attached.socketPath == record.socketPath
                        && attached.negotiatedVersion == 1)
                return try await self.echo(attached, "round \(round)")
            }
            #expect(answered == "round \(round)")
            #expect(plugin.isRunning, "the host neither sent Shutdown nor signalled the plugin")
            #expect(FileManager.default.fileExists(atPath: record.socketPath))
        }
        #expect(logs.entries.contains { $0.message.description.hasPrefix("left the attached plugin running") })
    }

    @Test("with kill_on_stop the host stops the plugin it attached to: Shutdown, exit 0, socket removed")
    func killOnStop() async throws {
        let (plugin, debugged) = try await Self.debuggedFixture()
        defer { plugin.kill() }
        var spec = debugged
        spec.reattach?.killOnStop = true
        let (logger, _) = TestEnvironment.capturingLogger()
        #expect(try await PluginHost.withPlugin(spec, logger: logger) { try await self.echo($0, "last") } == "last")
        #expect(await plugin.waitForExit(within: .seconds(3)), "Shutdown stops a debugging session")
        plugin.process.waitUntilExit()
        #expect(plugin.process.terminationReason == .exit && plugin.process.terminationStatus == 0)
        #expect(!FileManager.default.fileExists(atPath: spec.reattach?.socketPath ?? ""))
    }

    @Test("a go-plugin plugin started by hand is attached to from its pid and handshake line, and left running")
    func goPlugin() async throws {
        let plugin = try await HandStartedPlugin.start(
            try TestEnvironment.goPeer("echo-plugin"), arguments: [],
            environment: [HandshakeConfig.plugboardCookieKey: HandshakeConfig.plugboardCookieValue], lineCount: 1
        )
        defer { plugin.kill() }
        let record = try ReattachRecord(pid: plugin.pid, handshakeLine: plugin.lines[0])
        let fromJSON = try ReattachRecord.records(
            json: #"{"go-echo":{"pid":\#(plugin.pid),"handshake":"\#(plugin.lines[0])"}}"#)
        #expect(fromJSON["go-echo"] == record)
        let (logger, _) = TestEnvironment.capturingLogger()
        let spec = PluginSpec(path: try TestEnvironment.goPeer("echo-plugin"), name: "go-echo", reattach: record)
        for round in 1...2 {
            let answered = try await PluginHost.withPlugin(spec, logger: logger) {
                try await self.echo($0, "go \(round)")
            }
            #expect(answered == "go \(round)")
            #expect(plugin.isRunning)
        }
    }

    @Test(
        "a wrong pid, a missing or foreign address, another protocol or version: each a clear error, nothing signalled, and the next good record attaches"
    )
    func badRecords() async throws {
        let (plugin, debugged) = try await Self.debuggedFixture()
        defer { plugin.kill() }
        let good = try #require(debugged.reattach)
        let notASocket = self.scratch.url.appendingPathComponent("plain-file").path
        try Data("x".utf8).write(to: URL(fileURLWithPath: notASocket))
        func with(_ change: (inout ReattachRecord) -> Void) -> ReattachRecord {
            var record = good
            record.killOnStop = true  // so a host that did signal would be seen doing it
            change(&record)
            return record
        }
        let cases: [(ReattachRecord, PluginError.Code, [String])] = [
            (
                with { $0.pid = getpid() }, .socketNotOwned,
                ["says pid \(getpid())", "listening there is pid \(plugin.pid)", good.socketPath]
            ),
            (with { $0.pid = Int32.max - 1 }, .processNotFound, ["pid \(Int32.max - 1)", "no such process"]),
            (
                with { $0.socketPath = self.scratch.url.appendingPathComponent("none.sock").path }, .connectionFailed,
                ["none.sock", "no such file"]
            ),
            (with { $0.socketPath = notASocket }, .connectionFailed, ["plain-file", "not a unix socket"]),
            (with { $0.socketPath = "relative.sock" }, .invalidReattach, ["\"relative.sock\"", "not an absolute"]),
            (with { $0.transportProtocol = "netrpc" }, .netRPCRefused, ["netrpc", "gRPC only"]),
            (with { $0.transportProtocol = "http" }, .unsupportedProtocol, ["\"http\""]),
            (with { $0.appProtocolVersion = 7 }, .appVersionUnsupported, ["version 7", "[1]"]),
        ]
        let (logger, _) = TestEnvironment.capturingLogger()
        for (record, code, phrases) in cases {
            let spec = PluginSpec(path: TestEnvironment.fixturePath, name: "debugged", reattach: record)
            let error = await #expect(throws: PluginError.self) {
                try await PluginHost.withPlugin(spec, logger: logger) { _ in Issue.record("attached with \(record)") }
            }
            #expect(error?.code == code, "\(record): \(error.map { "\($0)" } ?? "no error")")
            #expect(error?.pluginName == "debugged" && error?.pid == record.pid)
            for phrase in phrases {
                #expect(
                    error?.message.contains(phrase) == true, "\(phrase.debugDescription) in \(error?.message ?? "")")
            }
            #expect(plugin.isRunning, "\(code): the plugin was not signalled")
        }
        var autoMTLS = PluginSpec(path: TestEnvironment.fixturePath, name: "debugged", reattach: good)
        autoMTLS.autoMTLS = true
        let refused = await #expect(throws: PluginError.self) {
            try await PluginHost.withPlugin(autoMTLS, logger: logger) { _ in }
        }
        #expect(refused?.code == .invalidReattach && refused?.message.contains("AutoMTLS") == true)

        let spec = PluginSpec(path: TestEnvironment.fixturePath, name: "debugged", reattach: good)
        #expect(
            try await PluginHost.withPlugin(spec, logger: logger) { try await self.echo($0, "still fine") }
                == "still fine")
        #expect(plugin.isRunning)
    }

    @Test(
        "a plugin that dies while attached fails the call in flight typed: exitedUnexpectedly, naming the attached pid")
    func diesWhileAttached() async throws {
        let (plugin, spec) = try await Self.debuggedFixture()
        defer { plugin.kill() }
        let (logger, _) = TestEnvironment.capturingLogger()
        let pid = plugin.pid
        let failure = try await PluginHost.withPlugin(spec, logger: logger) { attached async throws -> (any Error)? in
            let echo = Plugboard_Test_V1_Echo.Client(wrapping: attached.client)
            do {
                try await echo.update(
                    request: StreamingClientRequest { writer in
                        try await writer.write(.with { $0.text = "before" })
                        try await Task.sleep(for: .seconds(20))  // the stream stays open
                    }
                ) { response in
                    for try await message in response.messages where message.text == "before" {
                        kill(pid, SIGKILL)  // the stream is up: the plugin dies under it
                    }
                }
                return nil
            } catch {
                return error
            }
        }
        let error = try #require(
            failure?.pluginError, "the stream failed with \(failure.map { "\($0)" } ?? "no error")")
        #expect(error.code == .exitedUnexpectedly)
        #expect(error.pid == plugin.pid && error.pluginName == "debugged")
        #expect(
            error.message.contains("attached plugin process ended") && error.message.contains("Echo/Update"), "\(error)"
        )
    }

    @Test("a supervisor attaches, never restarts what it did not start, and quarantines a plugin that dies")
    func supervisorDoesNotRestart() async throws {
        let (plugin, supervisor, logger) = try await Self.debuggedSupervisor()
        defer { plugin.kill() }
        try await SupervisionHarness.run(supervisor, logger: logger) { events in
            _ = try await events.wait { $0.isReady }
            #expect(events.readyPIDs == [plugin.pid])
            let echo = Plugboard_Test_V1_Echo.Client(wrapping: supervisor.client)
            #expect(try await echo.get(.with { $0.text = "supervised" }).text == "supervised")
            plugin.kill()
            let quarantine = try await events.wait { $0.isQuarantined }
            guard case .quarantined(let error)? = quarantine.first else { return }
            #expect(
                error.code == .quarantined && (error.cause as? PluginError)?.code == .exitedUnexpectedly, "\(error)")
            #expect(!events.events.contains { if case .restarting = $0 { return true } else { return false } })
            let gone = await #expect(throws: (any Error).self) { _ = try await echo.get(.with { $0.text = "gone" }) }
            #expect(gone?.pluginError?.code == .quarantined, "\(gone.map { "\($0)" } ?? "no error")")
        }
    }

    @Test("a supervisor that stops leaves an attached plugin running")
    func supervisorLeavesPluginRunning() async throws {
        let (plugin, supervisor, logger) = try await Self.debuggedSupervisor()
        defer { plugin.kill() }
        try await SupervisionHarness.run(supervisor, logger: logger) { events in
            _ = try await events.wait { $0.isReady }
        }
        #expect(supervisor.state == .stopped)
        #expect(plugin.isRunning)
    }

    @Test(
        "`plugboard run` with PLUGBOARD_REATTACH attaches instead of starting, marks it attached, and leaves it running"
    )
    func runCommand() async throws {
        let plugin = try await HandStartedPlugin.fixtureInDebugMode()
        defer { plugin.kill() }
        let assets = try self.scratch.folder()
        try FileManager.default.createSymbolicLink(
            atPath: assets.appendingPathComponent("plugboard-fixture").path,
            withDestinationPath: TestEnvironment.fixturePath)
        let line = plugin.lines[0]
        let value = String(line.dropFirst("\(ReattachRecord.environmentVariable)='".count).dropLast())
        let host = Process()
        host.executableURL = URL(fileURLWithPath: "\(TestEnvironment.binDirectory)/plugboard")
        host.arguments = ["run", "--assets", assets.path, "--log-level", "error"]
        host.environment = ProcessInfo.processInfo.environment.merging([ReattachRecord.environmentVariable: value]) {
            $1
        }
        let output = Pipe()
        host.standardOutput = output
        host.standardError = FileHandle.nullDevice
        try host.run()
        defer { if host.isRunning { kill(host.processIdentifier, SIGKILL) } }
        let reader = output.fileHandleForReading
        let table = try await TestEnvironment.offThePool { () -> String in
            var text = ""
            while !text.contains("serving;") {
                let chunk = reader.availableData
                if chunk.isEmpty { break }
                text += String(decoding: chunk, as: UTF8.self)
            }
            return text
        }
        #expect(table.contains("\(plugin.pid) (attached)"), "\(table)")
        kill(host.processIdentifier, SIGTERM)
        let rest = try await TestEnvironment.offThePool { () -> String in
            let rest = String(decoding: reader.readDataToEndOfFile(), as: UTF8.self)
            host.waitUntilExit()
            return rest
        }
        #expect(host.terminationStatus == 0, "\(table)\(rest)")
        #expect(rest.contains("left plugboard-fixture running"), "\(rest)")
        #expect(plugin.isRunning)
    }
}
