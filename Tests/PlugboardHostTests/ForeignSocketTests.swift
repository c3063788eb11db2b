import Foundation
import PlugboardCore
import PlugboardHost
import PlugboardTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Issue 14: a plugin cannot aim its host at someone else's socket.
@Suite("The host talks only to the plugin it started", .timeLimit(.minutes(1)))
struct ForeignSocketTests {
    let scratch = ScratchFolder("plugboard-foreign")

    @Test("a handshake naming another process's socket is a clear error, and that socket receives zero bytes")
    func foreignSocket() async throws {
        // The foreign listener lives in this test process: the plugin's host, not its descendant.
        let path = self.scratch.url.appendingPathComponent("f.sock").path
        try #require(path.utf8.count < 100, "a unix socket path this long does not fit: \(path)")
        let listener = try SilentListener(path: path)
        let (logger, _) = TestEnvironment.capturingLogger()
        var spec = TestEnvironment.fixture("foreign-socket")
        spec.environment["FIXTURE_FOREIGN_SOCKET"] = path
        let error = await #expect(throws: PluginError.self) {
            try await PluginHost.withPlugin(spec, logger: logger) { _ in }
        }
        #expect(error?.code == .socketNotOwned, "\(error.map { "\($0)" } ?? "no error")")
        #expect(error?.pluginName == spec.name)
        #expect(error?.executablePath == spec.path)
        let text = error?.description ?? ""
        #expect(text.contains(path), "names the socket: \(text)")
        #expect(text.contains("pid \(getpid())"), "names the process listening there: \(text)")
        if let pid = error?.pid { #expect(!TestEnvironment.processExists(pid), "the plugin is killed and reaped") }

        let received = listener.drain()
        #expect(received.connections <= 1, "only the check's own connection")
        #expect(received.bytes == 0, "the foreign listener received \(received.bytes) bytes")
    }
}
