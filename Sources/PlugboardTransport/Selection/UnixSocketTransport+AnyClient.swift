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
            /// grpc-swift-nio-transport's client, with the explainer it has no hook for.
            case stock(HTTP2ClientTransport.Posix, explainer: (any CallFailureExplainer)?)
        }

        private let wrapped: Wrapped

        /// The kind of transport this wraps.
        public var kind: TransportKind {
            switch self.wrapped {
            case .lean: return .lean
            case .stock: return .stock
            }
        }

        /// The host's client: a lean one (speaking AutoMTLS when `tls` is set) or a stock one,
        /// with a watcher (lean only) and an explainer.
        ///
        /// - Throws: `RuntimeError` for TLS with the stock transport, which Plugboard does not
        ///   configure for TLS, or a path the stock transport can't resolve.
        package init(
            kind: TransportKind, path: String, config: Config, peerCheck: Client.PeerCheck?, tls: MutualTLS?,
            watcher: (any CallWatcher)? = nil, explainer: (any CallFailureExplainer)? = nil
        ) throws {
            switch kind {
            case .lean:
                self.wrapped = .lean(
                    Client(
                        path: path, config: config, peerCheck: peerCheck, tls: tls, watcher: watcher,
                        explainer: explainer))
            case .stock:
                guard tls == nil else { throw TransportKind.autoMTLSNeedsLean() }
                self.wrapped = .stock(try Self.stock(path), explainer: explainer)
            }
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
            try self.init(kind: kind, path: path, config: config, peerCheck: peerCheck, tls: nil, watcher: watcher)
        }

        private static func stock(_ path: String) throws -> HTTP2ClientTransport.Posix {
            do {
                return try HTTP2ClientTransport.Posix(
                    target: .unixDomainSocket(path: path), transportSecurity: .plaintext)
            } catch {
                throw RuntimeError(
                    code: .transportError,
                    message: "Couldn't create a gRPC client for unix socket '\(path)': \(error).",
                    cause: error
                )
            }
        }

        public var retryThrottle: RetryThrottle? {
            switch self.wrapped {
            case .lean(let client): return client.retryThrottle
            case .stock(let client, _): return client.retryThrottle
            }
        }

        public func connect() async throws {
            switch self.wrapped {
            case .lean(let client): try await client.connect()
            case .stock(let client, _): try await client.connect()
            }
        }

        public func beginGracefulShutdown() {
            switch self.wrapped {
            case .lean(let client): client.beginGracefulShutdown()
            case .stock(let client, _): client.beginGracefulShutdown()
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
            case .stock(let client, let explainer):
                return try await Self.withStockStream(client, explainer, descriptor, options, closure)
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
            case .stock(let client, let explainer):
                return try await Self.withStockStream(client, explainer, descriptor, options, closure)
            }
        }

        /// A stock call whose response parts go through `explainer`, which the stock transport
        /// has no hook for.
        private static func withStockStream<T: Sendable>(
            _ client: HTTP2ClientTransport.Posix,
            _ explainer: (any CallFailureExplainer)?,
            _ descriptor: MethodDescriptor,
            _ options: CallOptions,
            _ closure: (RPCStream<Inbound, Outbound>, ClientContext) async throws -> T
        ) async throws -> T {
            guard let explainer else {
                return try await client.withStream(descriptor: descriptor, options: options, closure)
            }
            return try await client.withStream(descriptor: descriptor, options: options) { stream, context in
                let explained = RPCStream(
                    descriptor: stream.descriptor,
                    inbound: RPCAsyncSequence(
                        wrapping: ExplainedParts(base: stream.inbound, explainer: explainer, method: descriptor)),
                    outbound: stream.outbound)
                return try await closure(explained, context)
            }
        }

        public func config(forMethod descriptor: MethodDescriptor) -> MethodConfig? {
            switch self.wrapped {
            case .lean(let client): return client.config(forMethod: descriptor)
            case .stock(let client, _): return client.config(forMethod: descriptor)
            }
        }
    }
}

/// A stock stream's response parts, with errors and non-OK statuses explained.
private struct ExplainedParts: AsyncSequence, Sendable {
    typealias Element = RPCResponsePart<GRPCNIOTransportBytes>
    let base: RPCAsyncSequence<Element, any Error>
    let explainer: any CallFailureExplainer
    let method: MethodDescriptor

    struct AsyncIterator: AsyncIteratorProtocol {
        var base: RPCAsyncSequence<Element, any Error>.AsyncIterator
        let explainer: any CallFailureExplainer
        let method: MethodDescriptor

        mutating func next() async throws -> Element? {
            try await self.explainer.nextPart(calling: self.method, status: Self.status) { try await self.base.next() }
        }

        private static func status(_ part: Element) -> (Status, Metadata)? {
            if case .status(let status, let metadata) = part { return (status, metadata) }
            return nil
        }
    }

    func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(base: self.base.makeAsyncIterator(), explainer: self.explainer, method: self.method)
    }
}
