internal import GRPCCore
internal import NIOCore
internal import NIOHTTP2
internal import NIOPosix

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
        self.state.disconnected(
          RPCError(
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
            message: """
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
    let config = self.config
    let path = self.path
    let authority = self.authority
    let state = self.state
    return try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
      .connect(unixDomainSocketPath: path) { channel in
        channel.eventLoop.makeCompletedFuture {
          let core = ConnectionCore(eventLoop: channel.eventLoop, config: config, socketPath: path)
          let handler = GRPCConnectionHandler(
            core: core,
            role: .client(.init(authority: authority, onDraining: { state.draining(core) }))
          )
          let sync = channel.pipeline.syncOperations
          try sync.addHandler(NIOHTTP2Handler.plugboard(mode: .client, config: config))
          try sync.addHandler(handler)
          return (channel, core)
        }
      }
  }
}
