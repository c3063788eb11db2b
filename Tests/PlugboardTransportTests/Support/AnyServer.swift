import GRPCCore
import GRPCNIOTransportHTTP2Posix
import PlugboardTransport
import ProtobufC

/// Which gRPC transport a test runs on: Plugboard's, or grpc-swift-nio-transport's as the
/// reference the lean one must agree with (the conformance suite and the transport benchmark).
enum TransportKind: String, Sendable, CaseIterable {
    /// ``UnixSocketTransport/Server`` and ``UnixSocketTransport/Client``.
    case lean
    /// grpc-swift-nio-transport's `HTTP2ServerTransport.Posix` and `HTTP2ClientTransport.Posix`.
    case stock
}

/// A server transport of either kind, so a test needn't be generic.
struct AnyServer: ServerTransport {
    typealias Bytes = GRPCNIOTransportBytes

    private enum Wrapped: Sendable {
        case lean(UnixSocketTransport.Server)
        case stock(HTTP2ServerTransport.Posix)
    }

    private let wrapped: Wrapped

    /// A server of `kind` on `path`; the stock one takes the message size and stream limits of
    /// `config`; the lean one runs the methods of `direct` itself.
    init(
        kind: TransportKind, path: String, config: UnixSocketTransport.Config = .defaults,
        direct: (any DirectlyRegistrableService)? = nil
    ) {
        switch kind {
        case .lean:
            self.wrapped = .lean(
                UnixSocketTransport.Server(
                    path: path, config: config, tls: nil, directMethods: direct.map { DirectMethods(serving: [$0]) }))
        case .stock:
            var stockConfig = HTTP2ServerTransport.Posix.Config.defaults
            stockConfig.rpc.maxRequestPayloadSize = config.maxReceiveMessageSize
            stockConfig.http2.maxConcurrentStreams = config.maxConcurrentStreams
            self.wrapped = .stock(
                HTTP2ServerTransport.Posix(
                    address: .unixDomainSocket(path: path), transportSecurity: .plaintext, config: stockConfig))
        }
    }

    /// Waits until the socket is bound and accepting connections.
    func waitUntilListening() async throws {
        switch self.wrapped {
        case .lean(let server): try await server.waitUntilListening()
        case .stock(let server): _ = try await server.listeningAddress
        }
    }

    func configure(context: GRPCServerContext) {
        switch self.wrapped {
        case .lean(let server): server.configure(context: context)
        case .stock(let server): server.configure(context: context)
        }
    }

    func listen(
        streamHandler: @escaping @Sendable (RPCStream<Inbound, Outbound>, ServerContext) async -> Void
    ) async throws {
        switch self.wrapped {
        case .lean(let server): try await server.listen(streamHandler: streamHandler)
        case .stock(let server): try await server.listen(streamHandler: streamHandler)
        }
    }

    func beginGracefulShutdown() {
        switch self.wrapped {
        case .lean(let server): server.beginGracefulShutdown()
        case .stock(let server): server.beginGracefulShutdown()
        }
    }
}
