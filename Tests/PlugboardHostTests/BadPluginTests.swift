import Foundation
import InMemoryLogging
import Logging
import PlugboardCore
import PlugboardHost
import Testing

/// Each misbehaving plugin gets its own error code; the host stays up and nothing is left behind.
@Suite("Plugins that misbehave", .serialized, .timeLimit(.minutes(2)))
struct BadPluginTests {
    static let cases: [(mode: String, code: PluginError.Code)] = [
        ("no-cookie", .exitedBeforeHandshake),
        ("garbage", .outputBeforeHandshake),
        ("extra-line", .outputBeforeHandshake),
        ("wrong-core", .coreVersionMismatch),
        ("bad-version", .appVersionUnsupported),
        ("netrpc", .netRPCRefused),
        ("missing-socket", .connectionFailed),
        ("exit-early", .exitedBeforeHandshake),
    ]

    @Test("a distinct error per misbehaviour", arguments: cases)
    func misbehaviour(mode: String, code: PluginError.Code) async throws {
        let (logger, _) = TestEnvironment.capturingLogger()
        let spec = TestEnvironment.fixture(mode)
        let error = await #expect(throws: PluginError.self) {
            try await PluginHost.withPlugin(spec, logger: logger) { _ in }
        }
        #expect(error?.code == code, "\(error.map { "\($0)" } ?? "no error")")
        #expect(error?.pluginName == spec.name)
        #expect(error?.executablePath == spec.path)
        #expect(error?.description.contains(spec.name) == true)
        if let pid = error?.pid { #expect(!TestEnvironment.processExists(pid), "killed and reaped") }
        #expect(TestEnvironment.leftoverDirectories(for: spec.name).isEmpty)
    }

    @Test("exiting before the handshake reports the status and the last stderr lines")
    func exitDiagnostics() async throws {
        let (logger, _) = TestEnvironment.capturingLogger()
        let error = await #expect(throws: PluginError.self) {
            try await PluginHost.withPlugin(TestEnvironment.fixture("exit-early"), logger: logger) { _ in }
        }
        #expect(error?.termination == .exited(3))
        #expect(error?.stderrTail.contains { $0.contains("/etc/fixture.conf is missing") } == true)
        let cookie = await #expect(throws: PluginError.self) {
            try await PluginHost.withPlugin(TestEnvironment.fixture("no-cookie"), logger: logger) { _ in }
        }
        #expect(cookie?.termination == .exited(1))
        #expect(cookie?.stderrTail.contains { $0.contains("This binary is a plugin") } == true)
    }

    @Test("a plugin that never prints hits the start timeout")
    func startTimeout() async throws {
        let (logger, _) = TestEnvironment.capturingLogger()
        let spec = TestEnvironment.fixture("silent", startTimeout: .milliseconds(500))
        let start = ContinuousClock.now
        let error = await #expect(throws: PluginError.self) {
            try await PluginHost.withPlugin(spec, logger: logger) { _ in }
        }
        #expect(error?.code == .startTimeout)
        #expect(ContinuousClock.now - start < .seconds(10))
        if let pid = error?.pid { #expect(!TestEnvironment.processExists(pid)) }
        #expect(TestEnvironment.leftoverDirectories(for: spec.name).isEmpty)
    }

    @Test("a plugin that ignores Shutdown and SIGTERM is killed and reaped")
    func stubborn() async throws {
        let (logger, logs) = TestEnvironment.capturingLogger()
        let spec = TestEnvironment.fixture("stubborn")
        let pid = try await PluginHost.withPlugin(spec, logger: logger) { $0.pid }
        #expect(!TestEnvironment.processExists(pid))
        #expect(logs.entries.contains { $0.message.description.contains("sending SIGKILL") })
        #expect(TestEnvironment.leftoverDirectories(for: spec.name).isEmpty)
    }

    @Test("a missing executable is reported before anything starts")
    func missingExecutable() async throws {
        let (logger, _) = TestEnvironment.capturingLogger()
        let error = await #expect(throws: PluginError.self) {
            try await PluginHost.withPlugin(PluginSpec(path: "/nonexistent/plugin"), logger: logger) { _ in }
        }
        #expect(error?.code == .executableNotFound)
        #expect(error?.executablePath == "/nonexistent/plugin")
    }

    @Test("an environment too large to exec (E2BIG) says so, naming the plugin")
    func environmentTooLarge() async throws {
        let (logger, _) = TestEnvironment.capturingLogger()
        var spec = TestEnvironment.fixture("echo")
        spec.environment["BIG"] = String(repeating: "x", count: 200 * 1024)
        let error = await #expect(throws: PluginError.self) {
            try await PluginHost.withPlugin(spec, logger: logger) { _ in }
        }
        #expect(error?.code == .launchFailed && error?.pluginName == spec.name)
        #expect(error?.message.contains("too large to exec (E2BIG") == true, "\(error.map { "\($0)" } ?? "")")
    }

    @Test("a file without the execute bit, and one the kernel cannot run, get their own errors")
    func notRunnable() async throws {
        let (logger, _) = TestEnvironment.capturingLogger()
        let scratch = ScratchFolder("plugboard-files")
        defer { withExtendedLifetime(scratch) {} }
        let directory = scratch.url
        let plain = directory.appendingPathComponent("plain").path
        try TestEnvironment.writeFile(plain, Data("#!/bin/sh\n".utf8), mode: 0o644)
        let notExecutable = await #expect(throws: PluginError.self) {
            try await PluginHost.withPlugin(PluginSpec(path: plain), logger: logger) { _ in }
        }
        #expect(notExecutable?.code == .notExecutable)
        let foreign = directory.appendingPathComponent("foreign").path
        try TestEnvironment.writeFile(
            foreign, Data([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0] + [UInt8](repeating: 0, count: 56)))
        let wrongFormat = await #expect(throws: PluginError.self) {
            try await PluginHost.withPlugin(PluginSpec(path: foreign), logger: logger) { _ in }
        }
        #expect(wrongFormat?.code == .wrongArchitecture)
        #expect(wrongFormat?.executablePath == foreign)
    }
}
