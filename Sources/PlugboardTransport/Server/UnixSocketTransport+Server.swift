public import GRPCCore
public import GRPCNIOTransportHTTP2Posix
internal import NIOCore
internal import NIOPosix
internal import Synchronization

#if canImport(Glibc)
internal import Glibc
#elseif canImport(Darwin)
internal import Darwin
#endif

extension UnixSocketTransport {
    /// The lean gRPC server transport: listens on a unix domain socket and serves each connection
    /// with a single HTTP/2 handler (no per-stream channels).
    ///
    /// ```swift
    /// let transport = UnixSocketTransport.Server(path: "/tmp/plugin.sock")
    /// try await withGRPCServer(transport: transport, services: [MyService()]) { _ in ... }
    /// ```
    public struct Server: ServerTransport {
        public typealias Bytes = GRPCNIOTransportBytes

        /// The socket path this server listens on.
        public let path: String
        /// The transport settings.
        public let config: Config
        /// AutoMTLS, when every connection must present the host's certificate.
        let tls: MutualTLS?
        /// `:path`s (`/package.Service/Method`) of long-lived streams a graceful shutdown doesn't
        /// wait for: once every other stream has finished, the connection closes and they end with it.
        let backgroundPaths: Set<String>
        /// Methods run straight from the connection instead of through the `GRPCServer`'s handler.
        let directMethods: DirectMethods?
        let state: ServerState

        /// Creates a server that will listen on `path` once ``listen(streamHandler:)`` runs.
        public init(path: String, config: Config = .defaults) {
            self.init(path: path, config: config, tls: nil)
        }

        /// A server that requires TLS with `tls` (a ``MutualTLS`` in the server role) on every
        /// connection, when it is given, whose graceful shutdown doesn't wait for streams on
        /// `backgroundPaths`, and which runs the calls of `directMethods` itself: the
        /// `GRPCServer`'s interceptors don't see those, `directMethods`' wrapper runs around them.
        package init(
            path: String, config: Config, tls: MutualTLS?, backgroundPaths: Set<String> = [],
            directMethods: DirectMethods? = nil
        ) {
            self.path = path
            self.config = config
            self.tls = tls
            self.backgroundPaths = backgroundPaths
            self.directMethods = directMethods
            self.state = ServerState()
        }

        public func configure(context: GRPCServerContext) {
            var methods: [String: MethodDescriptor] = [:]
            for method in context.methods { methods["/" + method.fullyQualifiedMethod] = method }
            self.state.methods.withLock { $0 = methods }
        }

        /// Waits until the socket is bound and accepting connections (or listening failed).
        public func waitUntilListening() async throws {
            try await self.state.bound.futureResult.get()
        }

        public func listen(
            streamHandler: @escaping @Sendable (RPCStream<Inbound, Outbound>, ServerContext) async -> Void
        ) async throws {
            let group = MultiThreadedEventLoopGroup.singleton
            let methods = self.state.methods.withLock { $0 }
            let config = self.config
            let path = self.path
            let tls = self.tls
            let backgroundPaths = self.backgroundPaths
            let calls = self.state.calls
            let listener: NIOAsyncChannel<AcceptedConnection, Never>
            do {
                listener = try await ServerBootstrap(group: group)
                    .serverChannelOption(.backlog, value: 256)
                    .bind(unixDomainSocketPath: path, cleanupExistingSocketFile: config.removeExistingSocketFile) {
                        channel in
                        channel.eventLoop.makeCompletedFuture {
                            try tls?.addHandler(to: channel)
                            return try AcceptedConnection.configure(
                                channel, config: config, path: path, methods: methods, backgroundPaths: backgroundPaths,
                                calls: calls)
                        }
                    }
            } catch {
                let failure = RuntimeError(
                    code: .transportError,
                    message: """
                        Couldn't listen on unix socket '\(path)': \(error). Check that the directory exists \
                        and is writable, the path is shorter than 104 bytes, and no other server uses it.
                        """,
                    cause: error
                )
                self.state.bound.fail(failure)
                throw failure
            }
            defer { unlinkSocket(path) }
            guard self.state.listening(listener.channel) else {
                try? await listener.channel.close()
                self.state.bound.succeed()
                return
            }
            self.state.bound.succeed()

            try await withTaskCancellationHandler {
                try await listener.executeThenClose { inbound in
                    await withDiscardingTaskGroup { group in
                        do {
                            for try await connection in inbound {
                                guard self.state.accepted(connection.core) else {
                                    connection.channel.close(promise: nil)
                                    continue
                                }
                                group.addTask {
                                    await self.serve(connection, handler: streamHandler)
                                    self.state.closed(connection.core)
                                }
                            }
                        } catch {}
                    }
                }
            } onCancel: {
                self.state.closeAll()
            }
        }

        public func beginGracefulShutdown() {
            self.state.beginGracefulShutdown()
        }

        /// After ``beginGracefulShutdown()`` (which closes the listener): runs `action` once every
        /// connection has flushed its last frames and is closing, on the event loop that flushed
        /// the last (or at once, when none is open), without waiting for the handlers of their
        /// background streams to return.
        package func whenConnectionsClose(_ action: @escaping @Sendable () -> Void) {
            self.state.whenConnectionsClose(action)
        }

        /// Calls accepted and not yet answered, on every connection (background streams left
        /// out): a call that asks the server to stop counts itself.
        package var callsInFlight: Int { self.state.calls.current }
    }
}

/// Unlinks the socket file, as grpc-go does when its listener closes.
private func unlinkSocket(_ path: String) {
    _ = path.withCString { unlink($0) }
}
