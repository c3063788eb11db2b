public import GRPCCore
public import GRPCNIOTransportHTTP2

extension UnixSocketTransport {
    /// A client transport of either kind, so host code needn't be generic.
    ///
    /// ```swift
    /// let transport = try UnixSocketTransport.AnyClient(kind: .lean, path: socketPath)
    /// try await withGRPCClient(transport: transport) { client in ... }
    /// ```
    public struct AnyClient: ClientTransport {
        public typealias Bytes = GRPCNIOTransportBytes

        private enum Wrapped: Sendable {
            case lean(Client)
            case stock(HTTP2ClientTransport.Posix)
        }

        private let wrapped: Wrapped

        /// The kind of transport this wraps.
        public var kind: TransportKind {
            switch self.wrapped {
            case .lean: return .lean
            case .stock: return .stock
            }
        }

        /// A lean client that speaks AutoMTLS on every connection.
        ///
        /// - Throws: `RuntimeError` for the stock transport, which Plugboard does not configure for TLS.
        package init(
            kind: TransportKind, path: String, config: Config, peerCheck: Client.PeerCheck?, tls: MutualTLS,
            watcher: (any CallWatcher)? = nil
        ) throws {
            guard kind == .lean else { throw TransportKind.autoMTLSNeedsLean() }
            self.wrapped = .lean(Client(path: path, config: config, peerCheck: peerCheck, tls: tls, watcher: watcher))
        }

        /// Creates a client of `kind` for the server on `path`.
        ///
        /// - Parameters:
        ///   - peerCheck: for `.lean`, judges the listener before every connection sends a byte
        ///     (see ``UnixSocketTransport/Client/init(path:config:authority:peerCheck:watcher:)``);
        ///     the stock transport has no such hook and ignores it.
        ///   - watcher: for `.lean`, hears about every call (see ``CallWatcher``); the stock
        ///     transport has no such hook and ignores it.
        /// - Throws: `RuntimeError` if the stock transport can't resolve the path.
        public init(
            kind: TransportKind, path: String, config: Config = .defaults, peerCheck: Client.PeerCheck? = nil,
            watcher: (any CallWatcher)? = nil
        ) throws {
            switch kind {
            case .lean:
                self.wrapped = .lean(Client(path: path, config: config, peerCheck: peerCheck, watcher: watcher))
            case .stock:
                do {
                    self.wrapped = .stock(
                        try HTTP2ClientTransport.Posix(
                            target: .unixDomainSocket(path: path),
                            transportSecurity: .plaintext
                        )
                    )
                } catch {
                    throw RuntimeError(
                        code: .transportError,
                        message: "Couldn't create a gRPC client for unix socket '\(path)': \(error).",
                        cause: error
                    )
                }
            }
        }

        public var retryThrottle: RetryThrottle? {
            switch self.wrapped {
            case .lean(let client): return client.retryThrottle
            case .stock(let client): return client.retryThrottle
            }
        }

        public func connect() async throws {
            switch self.wrapped {
            case .lean(let client): try await client.connect()
            case .stock(let client): try await client.connect()
            }
        }

        public func beginGracefulShutdown() {
            switch self.wrapped {
            case .lean(let client): client.beginGracefulShutdown()
            case .stock(let client): client.beginGracefulShutdown()
            }
        }

        public func withStream<T: Sendable>(
            descriptor: MethodDescriptor,
            options: CallOptions,
            _ closure: (RPCStream<Inbound, Outbound>, ClientContext) async throws -> T
        ) async throws -> T {
            switch self.wrapped {
            case .lean(let client):
                return try await client.withStream(descriptor: descriptor, options: options, closure)
            case .stock(let client):
                return try await client.withStream(descriptor: descriptor, options: options, closure)
            }
        }

        /// A call that tells `watched` its metadata and what it carried (lean only), without
        /// ending it; see ``UnixSocketTransport/Client``'s.
        package func withStream<T: Sendable>(
            descriptor: MethodDescriptor,
            options: CallOptions,
            watched: (any WatchedCall)?,
            _ closure: (RPCStream<Inbound, Outbound>, ClientContext) async throws -> T
        ) async throws -> T {
            switch self.wrapped {
            case .lean(let client):
                return try await client.withStream(descriptor: descriptor, options: options, watched: watched, closure)
            case .stock(let client):
                return try await client.withStream(descriptor: descriptor, options: options, closure)
            }
        }

        public func config(forMethod descriptor: MethodDescriptor) -> MethodConfig? {
            switch self.wrapped {
            case .lean(let client): return client.config(forMethod: descriptor)
            case .stock(let client): return client.config(forMethod: descriptor)
            }
        }
    }
}
