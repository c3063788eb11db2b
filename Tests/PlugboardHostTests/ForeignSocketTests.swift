import Foundation
import PlugboardCore
import PlugboardHost
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
        let listener = try Listener(path: path)
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

/// A unix socket listener that counts what connects to it, without answering.
private final class Listener {
    let fd: Int32

    init(path: String) throws {
        self.fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: Array(path.utf8) + [0]) }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(self.fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard self.fd >= 0, bound == 0, listen(self.fd, 16) == 0 else {
            throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)
        }
    }

    /// Accepts every pending connection and reads each until it closes (or 200 ms pass).
    func drain() -> (connections: Int, bytes: Int) {
        var connections = 0
        var bytes = 0
        while true {
            let connection = accept(self.fd, nil, nil)
            guard connection >= 0 else { break }
            _ = fcntl(connection, F_SETFD, FD_CLOEXEC)
            connections += 1
            var buffer = [UInt8](repeating: 0, count: 4096)
            var events = pollfd(fd: connection, events: Int16(POLLIN), revents: 0)
            while poll(&events, 1, 200) > 0 {
                let count = read(connection, &buffer, buffer.count)
                if count <= 0 { break }
                bytes += count
            }
            close(connection)
        }
        return (connections, bytes)
    }

    deinit { close(self.fd) }
}
