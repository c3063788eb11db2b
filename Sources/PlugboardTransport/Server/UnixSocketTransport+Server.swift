public import GRPCCore
public import GRPCNIOTransportHTTP2Posix
internal import NIOCore
internal import NIOPosix
internal import PlugboardSystem
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
        /// The socket to accept connections on, if the creator made it listen already.
        let listeningSocket: OwnedSocket?
        let state: ServerState

        /// Creates a server that will listen on `path` once ``listen(streamHandler:)`` runs.
        public init(path: String, config: Config = .defaults) {
            self.init(path: path, config: config, tls: nil)
        }

        /// A server that requires TLS with `tls` (a ``MutualTLS`` in the server role) on every
        /// connection, when it is given, whose graceful shutdown doesn't wait for streams on
        /// `backgroundPaths`, and which runs the calls of `directMethods` itself: the
        /// `GRPCServer`'s interceptors don't see those, `directMethods`' wrapper runs around them.
        /// With `listeningSocket` (see ``listeningSocket(path:config:)``), it accepts connections
        /// on that socket instead of binding `path` itself.
        package init(
            path: String, config: Config, tls: MutualTLS?, backgroundPaths: Set<String> = [],
            directMethods: DirectMethods? = nil, listeningSocket: OwnedSocket? = nil
        ) {
            self.path = path
            self.config = config
            self.tls = tls
            self.backgroundPaths = backgroundPaths
            self.directMethods = directMethods
            self.listeningSocket = listeningSocket
            self.state = ServerState()
        }

        /// A socket bound to `path` and listening, made with plain system calls on the caller's
        /// thread: connections queue in its backlog from now on, before any event loop runs, so a
        /// process can announce `path` at once and start serving while its peer connects.
        package static func listeningSocket(path: String, config: Config = .defaults) throws -> OwnedSocket {
            if config.removeExistingSocketFile {
                var status = stat()
                if lstat(path, &status) == 0 {
                    // A stale socket goes; anything else at the path is not the server's to remove.
                    guard status.st_mode & S_IFMT == S_IFSOCK else {
                        throw Self.listenFailure(path, reason: "a file that is not a socket is there")
                    }
                    unlinkSocket(path)
                }
            }
            let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            guard fd >= 0 else { throw Self.listenFailure(path, errno: errno) }
            let socket = OwnedSocket(descriptor: fd)  // closed if anything below fails
            guard let address = UnixSocketAddress(path: path) else {
                throw Self.listenFailure(path, errno: ENAMETOOLONG)
            }
            let bound = address.withSockaddr { bind(fd, $0, $1) }
            let listening = bound == 0 && Glibc.listen(fd, Self.backlog) == 0
            let reason = errno  // before the socket, unused below on failure, may be closed
            guard listening else { throw Self.listenFailure(path, errno: reason) }
            return socket
        }

        /// Connections the kernel queues before the server accepts them (NIO listens again with
        /// 128 when it takes a socket made by ``listeningSocket(path:config:)``; the connections
        /// queued until then stay).
        private static let backlog: Int32 = 256

        private static func listenFailure(_ path: String, errno: Int32) -> RuntimeError {
            Self.listenFailure(path, reason: String(cString: strerror(errno)))
        }

        private static func listenFailure(_ path: String, reason: String, cause: (any Error)? = nil) -> RuntimeError {
            RuntimeError(
                code: .transportError,
                message: """
                    Couldn't listen on unix socket '\(path)': \(reason). Check that the directory exists \
                    and is writable, the path is shorter than 104 bytes, and no other server uses it.
                    """,
                cause: cause
            )
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
            // Connections reach the loop below through a plain stream, from NIO's future-based
            // bootstrap, once active: the NIOAsyncChannel one made a plugin's start about 3% slower
            // (its handler, sequence and writer made, and their conformances looked up, at start).
            // One that becomes active after the loop ended (the listener closed, or the task was
            // cancelled) is closed.
            let (accepted, acceptedSink) = AsyncStream.makeStream(of: AcceptedConnection.self)
            let accept: @Sendable (AcceptedConnection) -> Bool = { connection in
                if case .enqueued = acceptedSink.yield(connection) { return true }
                return false
            }
            let bootstrap = ServerBootstrap(group: group)
                .serverChannelOption(.backlog, value: Self.backlog)
                .serverChannelInitializer { listener in
                    // As NIO's own async bootstrap does: after a failed accept (no descriptors
                    // left, say), wait a moment before the next instead of spinning.
                    listener.eventLoop.makeCompletedFuture {
                        try listener.pipeline.syncOperations.addHandler(
                            AcceptBackoffHandler(shouldForwardIOErrorCaught: false))
                    }
                }
                .childChannelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try tls?.addHandler(to: channel)
                        try AcceptedConnection.configure(
                            channel, config: config, path: path, methods: methods, backgroundPaths: backgroundPaths,
                            calls: calls, accept: accept)
                    }
                }
            let listener: any Channel
            do {
                if let socket = self.listeningSocket?.take() {
                    listener = try await bootstrap.withBoundSocket(socket).get()
                } else {
                    listener = try await bootstrap.bind(
                        unixDomainSocketPath: path, cleanupExistingSocketFile: config.removeExistingSocketFile
                    ).get()
                }
            } catch {
                let failure = Self.listenFailure(path, reason: "\(error)", cause: error)
                self.state.bound.fail(failure)
                throw failure
            }
            listener.closeFuture.whenComplete { _ in acceptedSink.finish() }
            defer { unlinkSocket(path) }
            guard self.state.listening(listener) else {
                try? await listener.close()
                for await connection in accepted { connection.channel.close(promise: nil) }
                self.state.bound.succeed()
                return
            }
            self.state.bound.succeed()

            // Where handlers run on the event loop, so does the loop that takes connections: a
            // new connection then reaches its handler's task without waking another thread.
            let executor: (any TaskExecutor)? =
                config.runHandlersOnEventLoop ? EventLoopTaskExecutor(eventLoop: listener.eventLoop) : nil
            await withTaskCancellationHandler {
                await withTaskExecutorPreference(executor) {
                    await withDiscardingTaskGroup { group in
                        for await connection in accepted {
                            guard self.state.accepted(connection.core) else {
                                connection.channel.close(promise: nil)
                                continue
                            }
                            group.addTask {
                                await self.serve(connection, handler: streamHandler)
                                self.state.closed(connection.core)
                            }
                        }
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
