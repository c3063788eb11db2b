internal import GRPCCore
internal import GRPCNIOTransportHTTP2Posix
internal import NIOCore
internal import NIOHTTP2
internal import ProtobufC

/// An accepted connection, set up on its event loop: HTTP/2 handler, then our stream handler.
struct AcceptedConnection: Sendable {
    let channel: any Channel
    let core: ConnectionCore
    let streams: AcceptedStreams

    /// Adds the connection's handlers to `channel`, before NIO registers it; `accept` gets the
    /// connection once it is active, and says whether the server took it.
    static func configure(
        _ channel: any Channel,
        config: UnixSocketTransport.Config,
        path: String,
        methods: [String: MethodDescriptor],
        backgroundPaths: Set<String>,
        calls: CallCount,
        accept: @escaping @Sendable (AcceptedConnection) -> Bool
    ) throws {
        let core = ConnectionCore(eventLoop: channel.eventLoop, config: config, socketPath: path)
        let streams = AcceptedStreams()
        let connection = AcceptedConnection(channel: channel, core: core, streams: streams)
        let handler = GRPCConnectionHandler(
            core: core,
            role: .server(
                .init(
                    methods: methods, onStream: streams, backgroundPaths: backgroundPaths, calls: calls,
                    onActive: { accept(connection) }))
        )
        let sync = channel.pipeline.syncOperations
        try sync.addHandler(HTTP2Codec(side: .server, config: config))
        try sync.addHandler(handler)
    }
}

extension UnixSocketTransport.Server {
    /// Runs every RPC of one connection, each in its own child task.
    func serve(
        _ connection: AcceptedConnection,
        handler: @escaping @Sendable (RPCStream<Inbound, Outbound>, ServerContext) async -> Void
    ) async {
        let peer = "unix:\(self.path)"
        let executor: (any TaskExecutor)? =
            self.config.runHandlersOnEventLoop ? connection.core.taskExecutor : nil
        await withTaskCancellationHandler {
            // The loop that takes new streams runs where their handlers run: on the event loop, a
            // new RPC then starts without waking another thread (AcceptedStreams resumes it there).
            await withTaskExecutorPreference(executor) {
                await withDiscardingTaskGroup { group in
                    while let accepted = await connection.streams.next() {
                        let direct = self.directMethods.flatMap { methods in
                            methods.table.handler(forPath: accepted.stream.path).map { ($0, methods.wrapper) }
                        }
                        let counted = !self.backgroundPaths.contains(accepted.stream.path)
                        group.addTask(executorPreference: executor) {
                            await Self.run(accepted, peer: peer, direct: direct, handler: handler)
                            if counted { self.state.calls.finished() }
                        }
                    }
                }
            }
        } onCancel: {
            connection.channel.close(promise: nil)
        }
    }

    /// Runs one RPC: a direct method's straight from the stream, any other through GRPCCore.
    private static func run(
        _ accepted: AcceptedStream,
        peer: String,
        direct: (DirectMethodHandler, DirectMethods.Wrapper)?,
        handler: @Sendable (RPCStream<Inbound, Outbound>, ServerContext) async -> Void
    ) async {
        let core = accepted.stream
        await withServerContextRPCCancellationHandle { handle in
            core.setCancellationHandle(handle)
            let context = ServerContext(
                descriptor: accepted.descriptor,
                remotePeer: peer,
                localPeer: peer,
                cancellation: handle
            )
            if let (method, wrapper) = direct {
                await Self.runDirect(method, on: core, context: context, wrapper: wrapper)
                return
            }
            let stream = RPCStream(
                descriptor: accepted.descriptor,
                inbound: RPCAsyncSequence(wrapping: InboundParts<RPCRequestPart<GRPCNIOTransportBytes>>(core: core)),
                outbound: RPCWriter.Closable(
                    wrapping: OutboundWriter<RPCResponsePart<GRPCNIOTransportBytes>>(core: core))
            )
            await handler(stream, context)
        }
        core.finishWriting(.end)
    }
}
