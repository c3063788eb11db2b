import NIOCore
import NIOPosix
import PlugboardTransport

/// `H2EchoServer` on swift-nio: NIO's event loop, socket and pipeline, no swift-nio-http2; the
/// method a task whose executor is the connection's event loop. Set against the thread rung's
/// server, it shows what the event-loop library costs; against the lean rung's, what
/// Plugboard's HTTP/2 codec and connection handler do.
enum NIOServerEcho {
    static func serve(path: String) async throws {
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(OwnHTTP2Handler())
                }
            }
            .bind(unixDomainSocketPath: path, cleanupExistingSocketFile: true).get()
        announceReady()
        try await server.closeFuture.get()
    }
}

/// Feeds a connection's bytes to `H2EchoServer` and writes what it answers.
final class OwnHTTP2Handler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private var server: H2EchoServer?
    private var input = ByteBuffer()

    func handlerAdded(context: ChannelHandlerContext) {
        self.server = H2EchoServer(executor: EventLoopTaskExecutor(eventLoop: context.eventLoop)) {
            [weak self] in self?.flush(context: context)
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = self.unwrapInboundIn(data)
        self.input.writeBuffer(&bytes)
        do {
            guard try self.server?.receive(&self.input) == true else { return context.close(promise: nil) }
        } catch {
            context.close(promise: nil)
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        self.flush(context: context)
    }

    /// Writes what the server left in its output.
    private func flush(context: ChannelHandlerContext) {
        guard let server = self.server, server.output.readableBytes > 0 else { return }
        context.writeAndFlush(self.wrapOutboundOut(server.output), promise: nil)
        server.output.clear()
    }
}
