public import GRPCCore
public import GRPCNIOTransportHTTP2Posix
internal import NIOCore
internal import NIOPosix

extension UnixSocketTransport {
    /// The lean gRPC client transport: one HTTP/2 connection to a unix domain socket, with every
    /// call a stream in the connection handler's table (no per-stream channels).
    ///
    /// ```swift
    /// let transport = UnixSocketTransport.Client(path: "/tmp/plugin.sock")
    /// try await withGRPCClient(transport: transport) { client in ... }
    /// ```
    public struct Client: ClientTransport {
        public typealias Bytes = GRPCNIOTransportBytes

        /// The socket path this client connects to.
        public let path: String
        /// The transport settings.
        public let config: Config
        /// The `:authority` sent with each call. grpc-go ignores it on unix sockets.
        public let authority: String
        /// Judges the process listening on the socket before each connection sends a byte.
        let peerCheck: PeerCheck?
        /// AutoMTLS, when the server requires it.
        let tls: MutualTLS?
        /// Hears about every call (its metadata, messages and end), if set.
        let watcher: (any CallWatcher)?
        /// Explains failed calls in the caller's terms, if set.
        let explainer: (any CallFailureExplainer)?
        /// The socket the first connection is made on, if the creator connected one already.
        let connectedSocket: OwnedSocket?
        let state: ClientState

        /// Creates a client for the server listening on `path`; it connects when `connect()` runs.
        ///
        /// - Parameters:
        ///   - peerCheck: called with the listener's credentials (SO_PEERCRED) on every
        ///     connection, reconnections included, before anything is written, on the
        ///     connection's event loop (keep it quick); a thrown error closes that connection
        ///     unused and counts as a failed attempt.
        ///   - watcher: hears about every call: its metadata, messages and end.
        public init(
            path: String, config: Config = .defaults, authority: String = "localhost", peerCheck: PeerCheck? = nil,
            watcher: (any CallWatcher)? = nil
        ) {
            self.init(
                path: path, config: config, authority: authority, peerCheck: peerCheck, tls: nil, watcher: watcher)
        }

        /// A client that speaks TLS with `tls` (a ``MutualTLS`` in the client role) on every
        /// connection, and makes its first on `connectedSocket` if given (still checking its peer).
        package init(
            path: String, config: Config, authority: String = "localhost", peerCheck: PeerCheck?, tls: MutualTLS?,
            watcher: (any CallWatcher)? = nil, explainer: (any CallFailureExplainer)? = nil,
            connectedSocket: OwnedSocket? = nil
        ) {
            self.path = path
            self.config = config
            self.authority = authority
            self.peerCheck = peerCheck
            self.tls = tls
            self.watcher = watcher
            self.explainer = explainer
            self.connectedSocket = connectedSocket
            self.state = ClientState()
        }

        public var retryThrottle: RetryThrottle? { nil }

        public func config(forMethod descriptor: MethodDescriptor) -> MethodConfig? { nil }

        /// The event loop of the connection new calls use, as a task executor: a task that prefers
        /// it makes calls without a thread hop on the way in or out. `nil` while not connected.
        package var connectionExecutor: (any TaskExecutor)? { self.state.connected?.taskExecutor }

        public func beginGracefulShutdown() {
            self.state.beginGracefulShutdown()
        }

        public func withStream<T: Sendable>(
            descriptor: MethodDescriptor,
            options: CallOptions,
            _ closure: (RPCStream<Inbound, Outbound>, ClientContext) async throws -> T
        ) async throws -> T {
            try await self.watcher.watching(descriptor) { watched in
                try await self.withStream(descriptor: descriptor, options: options, watched: watched, closure)
            }
        }

        /// A call whose stream tells `watched` its metadata and what it carried, but does not
        /// end it: the caller that started it does (a supervisor's call may go on to another
        /// instance).
        package func withStream<T: Sendable>(
            descriptor: MethodDescriptor,
            options: CallOptions,
            watched: (any WatchedCall)?,
            deadline: StreamDeadline? = nil,
            _ closure: (RPCStream<Inbound, Outbound>, ClientContext) async throws -> T
        ) async throws -> T {
            let connection = try await self.state.openStream(waitForReady: options.waitForReady)
            let core = StreamCore(
                connection: connection, path: "/" + descriptor.fullyQualifiedMethod, watched: watched)
            let timed = deadline.map { connection.deadlines.add($0, for: core) }
            defer {
                timed?.settle()
                core.finishWriting(.abort)
                self.state.streamFinished()
                core.reportCarried()
            }
            let stream = RPCStream(
                descriptor: descriptor,
                inbound: RPCAsyncSequence(
                    wrapping: InboundParts<RPCResponsePart<GRPCNIOTransportBytes>>(
                        core: core, explainer: self.explainer.map { ($0, descriptor) })),
                outbound: RPCWriter.Closable(
                    wrapping: OutboundWriter<RPCRequestPart<GRPCNIOTransportBytes>>(core: core))
            )
            let peer = "unix:\(self.path)"
            let context = ClientContext(descriptor: descriptor, remotePeer: peer, localPeer: peer)
            // A server-streaming call's messages only come in: its reader keeps up better beside
            // the event loop than on it (see `Config.runCallsOnEventLoop`).
            if self.config.runCallsOnEventLoop, descriptor.type != .serverStreaming {
                return try await withTaskExecutorPreference(connection.taskExecutor) {
                    try await closure(stream, context)
                }
            }
            return try await closure(stream, context)
        }
    }
}
