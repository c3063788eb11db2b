internal import GRPCCore
internal import NIOCore
internal import NIOHTTP2
internal import NIOPosix

#if canImport(Glibc)
internal import Glibc
#endif

extension UnixSocketTransport.Client {
    /// Keeps one connection to the socket open until graceful shutdown or cancellation,
    /// reconnecting with backoff if it drops.
    public func connect() async throws {
        var backoff = Duration.milliseconds(20)
        while !self.state.isShuttingDown {
            do {
                let connection = try await self.makeConnection()
                backoff = .milliseconds(20)
                self.state.connected(connection.core, channel: connection.channel)
                await withTaskCancellationHandler {
                    try? await connection.channel.closeFuture.get()
                } onCancel: {
                    connection.channel.close(promise: nil)
                }
                // A peer that broke HTTP/2 is retried like any dropped connection, but calls that don't
                // wait for ready fail meanwhile with what it did, not with a generic "closed".
                self.state.disconnected(
                    connection.core.protocolViolation.map { RPCError(code: .unavailable, message: "\($0)", cause: $0) }
                        ?? RPCError(
                            code: .unavailable,
                            message: """
                                The connection to unix socket '\(self.path)' closed; check that the server process \
                                is still running.
                                """
                        )
                )
                try Task.checkCancellation()
            } catch is CancellationError {
                self.state.beginGracefulShutdown()
                throw CancellationError()
            } catch {
                self.state.disconnected(
                    RPCError(
                        code: .unavailable,
                        message: error is TLSHandshakeFailure
                            ? "\(error)"
                            : """
                            Couldn't connect to unix socket '\(self.path)': \(error). Check that the server is \
                            running and listening on this path.
                            """,
                        cause: error
                    )
                )
                if self.state.isShuttingDown { break }
                await self.state.pause(for: backoff)
                if Task.isCancelled {
                    // As above: calls parked for a connection must fail now, not at their deadlines.
                    self.state.beginGracefulShutdown()
                    throw CancellationError()
                }
                backoff = min(backoff * 2, .seconds(1))
            }
        }
    }

    private func makeConnection() async throws -> (channel: any Channel, core: ConnectionCore) {
        let bootstrap = ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
        let connected = self.connectedSocket?.take()
        guard self.peerCheck != nil || self.tls != nil || connected != nil else {
            return try await bootstrap.connect(unixDomainSocketPath: self.path) { channel in
                channel.eventLoop.makeCompletedFuture { try self.addHandlers(to: channel) }
            }
        }
        // Connect with nothing in the pipeline and reads off, so no byte goes either way until the
        // peer has been judged; then add the handlers (the TLS hello or the HTTP/2 preface goes out
        // as they are added) and turn reads on. Every step after the connect runs on the event loop,
        // one after the other, so setting a connection up costs the caller one hop there and back.
        // With TLS, the connection counts only once the handshake is done.
        let bootstrapping = bootstrap.channelOption(.autoRead, value: false)
        let connecting =
            connected.map { bootstrapping.withConnectedSocket($0) }
            ?? bootstrapping.connect(unixDomainSocketPath: self.path)
        typealias Connection = (channel: any Channel, core: ConnectionCore)
        let connection = connecting.flatMap { channel -> EventLoopFuture<Connection> in
            self.judgePeer(of: channel).flatMapThrowing {
                let handshake = try self.tls.map { try self.addTLS($0, to: channel) }
                return (try self.addHandlers(to: channel), handshake)
            }.flatMap { connection, handshake in
                let handshook = handshake ?? channel.eventLoop.makeSucceededVoidFuture()
                return channel.setOption(.autoRead, value: true).flatMapError { error in
                    // A TLS failure closed the channel: say that, not "closed channel".
                    handshook.flatMapThrowing { throw error }
                }.flatMap { handshook }.map { _ in connection }
            }.flatMapErrorThrowing { error in
                channel.close(promise: nil)
                throw error
            }
        }
        return try await connection.get()
    }

    /// Runs the peer check, if any, on the listener's credentials (SO_PEERCRED), on the event loop.
    private func judgePeer(of channel: any Channel) -> EventLoopFuture<Void> {
        guard let peerCheck = self.peerCheck else { return channel.eventLoop.makeSucceededVoidFuture() }
        return Self.peerCredentials(of: channel, path: self.path).flatMapThrowing { credentials in
            try peerCheck(credentials.pid, credentials.uid)
        }
    }

    private static func peerCredentials(of channel: any Channel, path: String) -> EventLoopFuture<PeerCredentials> {
        guard let provider = channel as? any SocketOptionProvider else {
            return channel.eventLoop.makeFailedFuture(
                RPCError(code: .internalError, message: "The channel to unix socket '\(path)' can't report its peer."))
        }
        return provider.unsafeGetSocketOption(level: SocketOptionLevel(SOL_SOCKET), name: SocketOptionName(SO_PEERCRED))
    }

    /// Puts the TLS handler and a handshake waiter at the front of the pipeline; the future
    /// completes when the handshake does.
    private func addTLS(_ tls: MutualTLS, to channel: any Channel) throws -> EventLoopFuture<Void> {
        try tls.addHandler(to: channel)
        let handshake = channel.eventLoop.makePromise(of: Void.self)
        try channel.pipeline.syncOperations.addHandler(TLSHandshakeWaiter(promise: handshake, socketPath: self.path))
        return handshake.futureResult
    }

    private func addHandlers(to channel: any Channel) throws -> (channel: any Channel, core: ConnectionCore) {
        let state = self.state
        let core = ConnectionCore(eventLoop: channel.eventLoop, config: self.config, socketPath: self.path)
        let handler = GRPCConnectionHandler(
            core: core,
            role: .client(.init(authority: self.authority, onDraining: { state.draining(core) }))
        )
        let sync = channel.pipeline.syncOperations
        try sync.addHandler(HTTP2Codec(side: .client, config: self.config))
        try sync.addHandler(handler)
        return (channel, core)
    }
}

extension UnixSocketTransport.Client {
    /// Judges the process listening on the socket, given its pid and uid; throws to refuse it.
    public typealias PeerCheck = @Sendable (_ pid: Int32, _ uid: UInt32) throws -> Void
}

/// Linux's `struct ucred`, which the C headers hide behind _GNU_SOURCE.
private struct PeerCredentials: Sendable {
    var pid: Int32 = 0
    var uid: UInt32 = 0
    var gid: UInt32 = 0
}
