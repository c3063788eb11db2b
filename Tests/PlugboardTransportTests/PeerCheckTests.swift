import GRPCCore
import PlugboardTestSupport
import PlugboardTransport
import ProtobufC
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The lean client judges the process listening on the socket before each connection sends a byte.
@Suite("The lean client's peer check")
struct PeerCheckTests {
    @Test("the check is given the listener's pid and uid, and an accepted peer serves calls")
    func accepted() async throws {
        let path = makeSocketPath()
        let serverTransport = UnixSocketTransport.Server(path: path)
        let server = GRPCServer(transport: serverTransport, services: [EchoService(probe: Probe())])
        let seen = Mutex<[(Int32, UInt32)]>([])
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await server.serve() }
            try await serverTransport.waitUntilListening()
            let client = UnixSocketTransport.Client(path: path) { pid, uid in
                seen.withLock { $0.append((pid, uid)) }
            }
            try await withGRPCClient(transport: client) { client in
                let echoed = try await DirectClient(client).call(EchoService.Method.get, [7])
                #expect(echoed == [7])
            }
            server.beginGracefulShutdown()
            try await group.waitForAll()
        }
        let checks = seen.withLock { $0 }
        #expect(checks.count == 1)
        #expect(checks.first?.0 == getpid() && checks.first?.1 == getuid(), "the server runs in this process")
    }

    @Test("a refused peer receives zero bytes, and calls fail with the check's reason")
    func refused() async throws {
        let path = makeSocketPath()
        let listener = try SilentListener(path: path)
        let client = UnixSocketTransport.Client(path: path) { pid, _ in
            throw RPCError(code: .permissionDenied, message: "pid \(pid) is not the plugin")
        }
        let error = try await withGRPCClient(transport: client) { client in
            var options = CallOptions.defaults
            options.timeout = .seconds(20)  // the refusal comes at once; a loaded machine may be slow to connect
            return await #expect(throws: RPCError.self) {
                try await DirectClient(client).call(EchoService.Method.get, [1], options: options)
            }
        }
        #expect(error?.message.contains("pid \(getpid()) is not the plugin") == true, "\(error.map { "\($0)" } ?? "")")
        let received = listener.drain()
        #expect(received.connections >= 1, "the client connected")
        #expect(received.bytes == 0, "the refused peer received \(received.bytes) bytes")
    }

    @Test("a socket its creator connected and judged is the client's first connection, even with the path gone")
    func connectedSocket() async throws {
        let path = makeSocketPath()
        let serverTransport = UnixSocketTransport.Server(path: path)
        let server = GRPCServer(transport: serverTransport, services: [EchoService(probe: Probe())])
        let checks = Mutex(0)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await server.serve() }
            try await serverTransport.waitUntilListening()
            let socket = try OwnedSocket(descriptor: connectedDescriptor(to: path))
            unlink(path)  // the server still listens; a client connecting by path gets ENOENT
            let client = UnixSocketTransport.Client(
                path: path, config: .defaults, peerCheck: { _, _ in checks.withLock { $0 += 1 } }, tls: nil,
                connectedSocket: socket)
            try await withGRPCClient(transport: client) { client in
                let echoed = try await DirectClient(client).call(EchoService.Method.get, [7])
                #expect(echoed == [7])
            }
            server.beginGracefulShutdown()
            try await group.waitForAll()
        }
        #expect(checks.withLock { $0 } == 1, "the given socket's peer is checked too")
    }
}
