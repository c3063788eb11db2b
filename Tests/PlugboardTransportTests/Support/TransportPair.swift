import GRPCCore
import PlugboardTransport
import ProtobufC
import Testing

/// A server transport kind and a client transport kind to run a test over.
struct TransportPair: Sendable, CustomTestStringConvertible {
    var server: TransportKind
    var client: TransportKind
    /// The lean server runs the service's methods itself (a `DirectMethodTable`, as a plugin
    /// does with generated services) instead of through the `GRPCServer`'s handler.
    var direct = false
    /// The client makes unary calls straight on its transport's stream (a `DirectClient` whose
    /// route is open, as on clients Plugboard makes) instead of through the `GRPCClient`.
    var directClient = false

    var testDescription: String {
        "\(self.server) server\(self.direct ? " running the methods directly" : ""), \(self.client) client"
            + (self.directClient ? " making unary calls directly" : "")
    }

    /// lean↔lean, stock↔stock, both cross pairs, the lean server's direct methods under both
    /// clients, and the direct client against both servers.
    static let all: [TransportPair] = [
        .init(server: .lean, client: .lean),
        .init(server: .stock, client: .stock),
        .init(server: .lean, client: .stock),
        .init(server: .stock, client: .lean),
        .init(server: .lean, client: .lean, direct: true),
        .init(server: .lean, client: .stock, direct: true),
        .init(server: .lean, client: .lean, direct: true, directClient: true),
        .init(server: .stock, client: .lean, directClient: true),
    ]
}

/// A fresh socket path, short enough for `sun_path`.
func makeSocketPath() -> String {
    "/tmp/pbt-\(UInt32.random(in: 0...UInt32.max))-\(UInt16.random(in: 0...UInt16.max)).sock"
}

/// Runs `body` with a client connected to an echo server over `pair`.
func withEchoServer<Result: Sendable>(
    _ pair: TransportPair,
    config: UnixSocketTransport.Config = .defaults,
    probe: Probe = Probe(),
    _ body: (DirectClient<AnyClient>, GRPCServer<AnyServer>) async throws ->
        Result
) async throws -> Result {
    let path = makeSocketPath()
    let echo = EchoService(probe: probe)
    let serverTransport = AnyServer(kind: pair.server, path: path, config: config, direct: pair.direct ? echo : nil)
    let server = GRPCServer(transport: serverTransport, services: [echo])
    return try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await server.serve() }
        try await serverTransport.waitUntilListening()
        let clientTransport = try AnyClient(kind: pair.client, path: path, config: config)
        let result = try await withGRPCClient(transport: clientTransport) { client in
            let route = pair.directClient ? DirectRoute.open(from: client, to: clientTransport) : nil
            defer { route?.close() }
            let direct = DirectClient(client)
            #expect(direct.callsDirectly == pair.directClient)
            return try await body(direct, server)
        }
        server.beginGracefulShutdown()
        try await group.waitForAll()
        return result
    }
}

extension DirectClient {
    /// A unary call to `method` with raw bytes.
    func call(
        _ method: MethodDescriptor,
        _ message: [UInt8],
        metadata: Metadata = [:],
        options: CallOptions = .defaults
    ) async throws -> [UInt8] {
        try await self.unary(
            request: ClientRequest(message: message, metadata: metadata),
            descriptor: method,
            serializer: IdentitySerializer(),
            deserializer: IdentityDeserializer(),
            options: options
        ) { try $0.message }
    }

    /// An `Update` call that sends `[1]`, tells `echoedFirst` once it is echoed (the server has the
    /// stream for sure), sends `[2]` once `release` yields, and returns every byte echoed.
    func updateInTwoSteps(
        echoedFirst: AsyncStream<Void>.Continuation, release: AsyncStream<Void>
    ) async throws -> [UInt8] {
        try await self.bidirectionalStreaming(
            request: StreamingClientRequest { writer in
                try await writer.write([1])
                for await _ in release { break }
                try await writer.write([2])
            },
            descriptor: EchoService.Method.update,
            serializer: IdentitySerializer(),
            deserializer: IdentityDeserializer(),
            options: .defaults
        ) { response in
            var all: [UInt8] = []
            for try await message in response.messages {
                all += message
                if all == [1] { echoedFirst.yield() }
            }
            return all
        }
    }
}
