import NIOCore
import NIOHPACK
import NIOPosix

/// The own-stack client on swift-nio, against the thread rung's server: the caller's request is
/// encoded and written on the connection's event loop (one hop there), the answer decoded there by
/// `ThreadClientReader` and the caller resumed (one hop back), as Plugboard's client does it, but
/// without Plugboard's HTTP/2 codec and connection handler.
enum NIOClientEcho {
    static func client(_ path: String, _ measure: Measure) async throws -> Rung.Result {
        let handler = OwnHTTP2ClientHandler()
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(handler) }
            }
            .connect(unixDomainSocketPath: path).get()
        defer { channel.close(promise: nil) }
        let message = ThreadClientEcho.request
        return try await measure {
            let reply = try await withCheckedThrowingContinuation { continuation in
                channel.eventLoop.execute { handler.send(message, answer: continuation) }
            }
            guard reply == message else { throw EchoFailed() }
        }
    }
}

/// One connection's HTTP/2 client end; used only on its event loop, hence `@unchecked Sendable`.
final class OwnHTTP2ClientHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private var context: ChannelHandlerContext?
    private var reader = ThreadClientReader()
    private var encoder = HPACKEncoder(allocator: ByteBufferAllocator())
    private var input = ByteBuffer()
    private var nextStream: UInt32 = 1
    private var sendWindow = 65_535
    private var waiting: [UInt32: CheckedContinuation<ByteBuffer, any Error>] = [:]

    func channelActive(context: ChannelHandlerContext) {
        self.context = context
        var output = context.channel.allocator.buffer(capacity: 64)
        output.writeBytes(H2Frame.preface)
        output.writeH2Frame(.settings, flags: 0, stream: 0) { _ in }
        context.writeAndFlush(self.wrapOutboundOut(output), promise: nil)
    }

    /// Writes one call's request; `answer` is resumed with its answer's message.
    func send(_ request: ByteBuffer, answer: CheckedContinuation<ByteBuffer, any Error>) {
        guard let context = self.context, request.readableBytes <= self.sendWindow else {
            return answer.resume(throwing: H2Failed("not connected, or the server's window is short"))
        }
        self.sendWindow -= request.readableBytes
        let stream = self.nextStream
        self.nextStream += 2
        var output = context.channel.allocator.buffer(capacity: 256)
        do {
            try output.writeH2Headers(
                ThreadClientConnection.requestHeaders, encoder: &self.encoder, flags: 0x4, stream: stream)
        } catch {
            return answer.resume(throwing: error)
        }
        output.writeH2Frame(.data, flags: 0x1, stream: stream) { $0.writeImmutableBuffer(request) }
        self.waiting[stream] = answer
        context.writeAndFlush(self.wrapOutboundOut(output), promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = self.unwrapInboundIn(data)
        self.input.writeBuffer(&bytes)
        var control = ByteBuffer()
        var windowUpdate = 0
        do {
            while let frame = try self.input.readH2Frame() {
                try self.reader.handle(frame, control: &control, windowUpdate: &windowUpdate) { stream, result in
                    self.waiting.removeValue(forKey: stream)?.resume(with: result)
                }
            }
        } catch {
            for waiter in self.waiting.values { waiter.resume(throwing: error) }
            self.waiting.removeAll()
            context.close(promise: nil)
            return
        }
        self.sendWindow += windowUpdate
        if control.readableBytes > 0 { context.writeAndFlush(self.wrapOutboundOut(control), promise: nil) }
    }

    func channelInactive(context: ChannelHandlerContext) {
        for waiter in self.waiting.values { waiter.resume(throwing: H2Failed("the server closed the connection")) }
        self.waiting.removeAll()
        self.context = nil
    }
}
