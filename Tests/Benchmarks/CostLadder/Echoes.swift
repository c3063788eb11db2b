import GRPCCore
import GRPCInProcessTransport
import NIOCore
import NIOPosix
import PlugboardSystem
import PlugboardTestSupport
import PlugboardTestV1
import PlugboardTransport

#if canImport(Glibc)
import Glibc
#endif

/// Each rung's message: 64 bytes, about what a small unary call carries each way.
let messageSize = 64

/// Announces that a peer listens (the parent waits for the line).
func announceReady() {
    print("ready")
    fflush(nil)
}

/// The floor: a blocking `write` and `read` on a unix socket, no event loop, no threads.
enum RawSocketEcho {
    static func serve(path: String) throws {
        let listener = try Self.socket(path, connect: false)
        announceReady()
        let connection = accept(listener, nil, nil)
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = read(connection, &buffer, buffer.count)
            if count <= 0 { return }
            _ = write(connection, buffer, count)
        }
    }

    static func client(_ path: String, _ measure: Measure) async throws -> Rung.Result {
        let fd = try Self.socket(path, connect: true)
        defer { close(fd) }
        var buffer = [UInt8](repeating: 7, count: messageSize)
        return try await measure {
            _ = write(fd, buffer, messageSize)
            var received = 0
            while received < messageSize {
                let count = buffer.withUnsafeMutableBytes {
                    read(fd, $0.baseAddress! + received, messageSize - received)
                }
                guard count > 0 else { throw EchoFailed() }
                received += count
            }
        }
    }

    /// A unix socket listening on, or connected to, `path`.
    static func socket(_ path: String, connect: Bool) throws -> Int32 {
        let fd = Glibc.socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard let address = UnixSocketAddress(path: path) else { throw EchoFailed() }
        let result = address.withSockaddr { connect ? Glibc.connect(fd, $0, $1) : bind(fd, $0, $1) }
        guard result == 0, connect || listen(fd, 1) == 0 else { throw EchoFailed() }
        return fd
    }
}

/// swift-nio with one hop into Swift concurrency each side, as an async NIO program has.
enum NIOEcho {
    static func serve(path: String) async throws {
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(unixDomainSocketPath: path, cleanupExistingSocketFile: true) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        announceReady()
        try await server.executeThenClose { connections in
            for try await connection in connections {
                try await connection.executeThenClose { inbound, outbound in
                    for try await bytes in inbound { try await outbound.write(bytes) }
                }
                return
            }
        }
    }

    static func client(_ path: String, _ measure: Measure) async throws -> Rung.Result {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(unixDomainSocketPath: path) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        let message = ByteBuffer(repeating: 7, count: messageSize)
        return try await channel.executeThenClose { inbound, outbound in
            var responses = inbound.makeAsyncIterator()
            return try await measure {
                try await outbound.write(message)
                var received = 0
                while received < messageSize {
                    guard let bytes = try await responses.next() else { throw EchoFailed() }
                    received += bytes.readableBytes
                }
            }
        }
    }
}

/// Plugboard's lean transport driven directly: HTTP/2 and gRPC framing, no GRPCCore client or
/// server (no interceptors, no per-call task group, no serialization).
enum LeanEcho {
    static let method = MethodDescriptor(fullyQualifiedService: "plugboard.test.v1.Echo", method: "Get")

    static func serve(path: String) async throws {
        let server = UnixSocketTransport.Server(path: path)
        var context = GRPCServerContext()
        context.methods = [Self.method]
        server.configure(context: context)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                try await server.listen { stream, _ in
                    do {
                        var message: UnixSocketTransport.Server.Bytes?
                        for try await part in stream.inbound {
                            if case .message(let bytes) = part { message = bytes }
                        }
                        try await stream.outbound.write(.metadata([:]))
                        if let message { try await stream.outbound.write(.message(message)) }
                        try await stream.outbound.write(.status(Status(code: .ok, message: ""), [:]))
                        await stream.outbound.finish()
                    } catch {
                        await stream.outbound.finish(throwing: error)
                    }
                }
            }
            try await server.waitUntilListening()
            announceReady()
            try await group.waitForAll()
        }
    }

    static func message<Bytes: GRPCContiguousBytes>(_: Bytes.Type) -> Bytes { Bytes(repeating: 7, count: messageSize) }

    static func client(_ path: String, _ measure: Measure) async throws -> Rung.Result {
        let client = UnixSocketTransport.Client(path: path)
        let message = Self.message(UnixSocketTransport.Client.Bytes.self)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await client.connect() }
            let result = try await measure {
                try await client.withStream(descriptor: Self.method, options: .defaults) { stream, _ in
                    try await stream.outbound.write(.metadata([:]))
                    try await stream.outbound.write(.message(message))
                    await stream.outbound.finish()
                    for try await part in stream.inbound {
                        if case .status(let status, _) = part, status.code != .ok { throw EchoFailed() }
                    }
                }
            }
            client.beginGracefulShutdown()
            try await group.waitForAll()
            return result
        }
    }
}

/// GRPCCore's client and server over the lean transport, two processes: a Plugboard call without
/// the host's supervision and instrumentation. With `direct`, the server runs the generated method
/// itself (a `DirectMethodTable`), past GRPCCore's server executor, as a plugin's server runs it.
enum GRPCEcho {
    static func serve(path: String, direct: Bool) async throws {
        let transport = UnixSocketTransport.Server(
            path: path, config: .defaults, tls: nil,
            directMethods: direct ? DirectMethods(serving: [EchoService()]) : nil)
        let server = GRPCServer(transport: transport, services: [EchoService()])
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await server.serve() }
            try await transport.waitUntilListening()
            announceReady()
            try await group.waitForAll()
        }
    }

    static func client(_ path: String, _ measure: Measure) async throws -> Rung.Result {
        try await withGRPCClient(transport: UnixSocketTransport.Client(path: path)) { client in
            let echo = Plugboard_Test_V1_Echo.Client(wrapping: client)
            let request = Plugboard_Test_V1_EchoRequest.with { $0.payload = [UInt8](repeating: 7, count: messageSize) }
            return try await measure { _ = try await echo.get(request) }
        }
    }
}

/// GRPCCore's whole call machinery (client, server, interceptors' absence, serialization) over
/// its in-process transport: no socket, no second process.
enum InProcessEcho {
    static func client(_ measure: Measure) async throws -> Rung.Result {
        let transport = InProcessTransport()
        let server = GRPCServer(transport: transport.server, services: [EchoService()])
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await server.serve() }
            let request = Plugboard_Test_V1_EchoRequest.with { $0.payload = [UInt8](repeating: 7, count: messageSize) }
            let result = try await withGRPCClient(transport: transport.client) { client in
                let echo = Plugboard_Test_V1_Echo.Client(wrapping: client)
                return try await measure { _ = try await echo.get(request) }
            }
            server.beginGracefulShutdown()
            try await group.waitForAll()
            return result
        }
    }
}

struct EchoFailed: Error {}
