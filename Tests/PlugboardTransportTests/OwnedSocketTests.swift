import GRPCCore
import PlugboardSystem
import PlugboardTestSupport
import PlugboardTransport
import ProtobufC
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Sockets handed to a transport instead of made by it: a plugin's socket, listening before its
/// server runs, and a host's first connection, made by its peer check.
@Suite("Sockets handed to a transport")
struct OwnedSocketTests {
    @Test("a server given a listening socket accepts the connection queued before it ran, with the path gone")
    func listeningSocket() async throws {
        let path = makeSocketPath()
        let listening = try UnixSocketTransport.Server.listeningSocket(path: path)
        let connected = try OwnedSocket(descriptor: connectedDescriptor(to: path))  // waits in the backlog
        unlink(path)  // a server binding the path itself would never see that connection
        let serverTransport = UnixSocketTransport.Server(
            path: path, config: .defaults, tls: nil, listeningSocket: listening)
        let server = GRPCServer(transport: serverTransport, services: [EchoService(probe: Probe())])
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await server.serve() }
            let client = UnixSocketTransport.Client(
                path: path, config: .defaults, peerCheck: nil, tls: nil, connectedSocket: connected)
            try await withGRPCClient(transport: client) { client in
                var options = CallOptions.defaults
                // Only to fail rather than hang: the whole suite starting at once on two cores was
                // seen to take 6 s to bind and answer here, and once more than 10.
                options.timeout = .seconds(60)
                let echoed = try await DirectClient(client).call(EchoService.Method.get, [7], options: options)
                #expect(echoed == [7])
            }
            server.beginGracefulShutdown()
            try await group.waitForAll()
        }
    }

    @Test("a socket no transport took is closed")
    func untakenSocketCloses() throws {
        var ends: [Int32] = [0, 0]
        try #require(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &ends) == 0)
        defer { close(ends[1]) }
        _ = OwnedSocket(descriptor: ends[0])
        var byte: UInt8 = 0
        #expect(read(ends[1], &byte, 1) == 0, "the other end reads end of file")
    }

    @Test("a stale socket file is replaced; a file that is not a socket is left and named")
    func existingFile() throws {
        let path = makeSocketPath()
        defer { unlink(path) }
        _ = try UnixSocketTransport.Server.listeningSocket(path: path)  // closed at once: a stale socket file
        _ = try UnixSocketTransport.Server.listeningSocket(path: path)
        unlink(path)
        let file = open(path, O_CREAT | O_WRONLY, 0o600)
        try #require(file >= 0)
        close(file)
        let error = #expect(throws: RuntimeError.self) {
            _ = try UnixSocketTransport.Server.listeningSocket(path: path)
        }
        #expect(error?.message.contains("not a socket") == true, "\(error.map { "\($0)" } ?? "")")
        var status = stat()
        #expect(lstat(path, &status) == 0 && status.st_mode & S_IFMT == S_IFREG, "the file is still there")
    }

    @Test("a path too long for a unix socket address is a clear error")
    func pathTooLong() {
        let path = "/tmp/" + String(repeating: "p", count: 120) + ".sock"
        let error = #expect(throws: RuntimeError.self) {
            _ = try UnixSocketTransport.Server.listeningSocket(path: path)
        }
        #expect(error?.message.contains(path) == true && error?.message.contains("too long") == true)
    }
}

/// A blocking stream socket connected to the unix socket at `path`.
func connectedDescriptor(to path: String) throws -> Int32 {
    let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
    let connected = UnixSocketAddress(path: path)!.withSockaddr { connect(fd, $0, $1) }
    guard fd >= 0, connected == 0 else {
        throw RPCError(code: .unavailable, message: "connect \(path): errno \(errno)")
    }
    return fd
}
