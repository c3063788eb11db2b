public import GRPCCore
public import GRPCNIOTransportHTTP2

extension UnixSocketTransport {
    /// A server transport of either kind, so code that serves plugins needn't be generic.
    ///
    /// ```swift
    /// let transport = UnixSocketTransport.AnyServer(kind: .lean, path: socketPath)
    /// try await withGRPCServer(transport: transport, services: services) { _ in ... }
    /// ```
    public struct AnyServer: ServerTransport {
        public typealias Bytes = GRPCNIOTransportBytes

        private enum Wrapped: Sendable {
            case lean(Server)
            case stock(HTTP2ServerTransport.Posix)
        }

        private let wrapped: Wrapped

        /// The kind of transport this wraps.
        public var kind: TransportKind {
            switch self.wrapped {
            case .lean: return .lean
            case .stock: return .stock
            }
        }

        /// Creates a server of `kind` for `path`. For `.stock`, the message size limit is applied;
        /// the other settings are the lean transport's.
        /// A lean server that requires AutoMTLS on every connection.
        ///
        /// - Throws: `RuntimeError` for the stock transport, which Plugboard does not configure for TLS.
        package init(kind: TransportKind, path: String, config: Config, tls: MutualTLS) throws {
            guard kind == .lean else { throw TransportKind.autoMTLSNeedsLean() }
            self.wrapped = .lean(Server(path: path, config: config, tls: tls))
        }

        public init(kind: TransportKind, path: String, config: Config = .defaults) {
            switch kind {
            case .lean:
                self.wrapped = .lean(Server(path: path, config: config))
            case .stock:
                var stockConfig = HTTP2ServerTransport.Posix.Config.defaults
                stockConfig.rpc.maxRequestPayloadSize = config.maxReceiveMessageSize
                stockConfig.http2.maxConcurrentStreams = config.maxConcurrentStreams
                self.wrapped = .stock(
                    HTTP2ServerTransport.Posix(
                        address: .unixDomainSocket(path: path),
                        transportSecurity: .plaintext,
                        config: stockConfig
                    )
                )
            }
        }

        /// Waits until the socket is bound and accepting connections.
        public func waitUntilListening() async throws {
            switch self.wrapped {
            case .lean(let server):
                try await server.waitUntilListening()
            case .stock(let server):
                _ = try await server.listeningAddress
            }
        }

        public func configure(context: GRPCServerContext) {
            switch self.wrapped {
            case .lean(let server): server.configure(context: context)
            case .stock(let server): server.configure(context: context)
            }
        }

        public func listen(
            streamHandler: @escaping @Sendable (RPCStream<Inbound, Outbound>, ServerContext) async -> Void
        ) async throws {
            switch self.wrapped {
            case .lean(let server): try await server.listen(streamHandler: streamHandler)
            case .stock(let server): try await server.listen(streamHandler: streamHandler)
            }
        }

        public func beginGracefulShutdown() {
            switch self.wrapped {
            case .lean(let server): server.beginGracefulShutdown()
            case .stock(let server): server.beginGracefulShutdown()
            }
        }
    }
}
