import NIOCore
import NIOHPACK

/// The own-stack server's HTTP/2 end of one connection, whatever drives its I/O: give it what the
/// socket read, send what it leaves in ``output``.
///
/// Enough HTTP/2 for the lean client and no more: SETTINGS, PING, WINDOW_UPDATE, HEADERS with
/// CONTINUATION, DATA and RST_STREAM. It keeps the connection's send window, and fails the rung
/// (closes the connection) rather than wait on it; streams' windows are never short for one
/// 64-byte message. Used only on its connection's thread or event loop, where its `executor` runs
/// the method's tasks: hence `@unchecked Sendable`.
final class H2EchoServer: @unchecked Sendable {
    private static let responseHeaders = HPACKHeaders([(":status", "200"), ("content-type", "application/grpc")])
    private static let trailers = HPACKHeaders([("grpc-status", "0")])

    private let executor: any TaskExecutor
    /// Called after the method's task appended an answer to ``output``.
    private let answered: () -> Void
    /// Frames to send.
    var output = ByteBufferAllocator().buffer(capacity: 4_096)
    private var sawPreface = false
    private var reader = H2Reader()
    private var encoder = HPACKEncoder(allocator: ByteBufferAllocator())
    /// Open streams and the request bytes (gRPC-framed) each has sent.
    private var requests: [UInt32: ByteBuffer] = [:]
    private var sendWindow = 65_535
    private var failure: String?

    init(executor: any TaskExecutor, answered: @escaping () -> Void = {}) {
        self.executor = executor
        self.answered = answered
    }

    /// Handles every whole frame in `input` (the preface first); false once the client sends GOAWAY.
    func receive(_ input: inout ByteBuffer) throws -> Bool {
        if let failure = self.failure { throw H2Failed(failure) }
        if !self.sawPreface {
            guard input.readableBytes >= H2Frame.preface.count else { return true }
            guard input.readBytes(length: H2Frame.preface.count) == H2Frame.preface else {
                throw H2Failed("no preface")
            }
            self.sawPreface = true
            self.output.writeH2Frame(.settings, flags: 0, stream: 0) { _ in }
        }
        while let frame = try input.readH2Frame() {
            switch try self.reader.read(frame, control: &self.output) {
            case .headers(let stream, _, let endStream):
                if self.requests[stream] == nil { self.requests[stream] = ByteBuffer() }
                if endStream { self.complete(stream) }
            case .data(let stream, var bytes, let endStream):
                guard self.requests[stream] != nil else { continue }  // reset, or never opened
                self.requests[stream]!.writeBuffer(&bytes)
                if endStream { self.complete(stream) }
            case .reset(let stream):
                self.requests[stream] = nil
            case .sendWindow(let increment):
                self.sendWindow += increment
            case .goAway:
                return false
            case .none:
                ()
            }
        }
        return true
    }

    // MARK: Answering

    private func complete(_ stream: UInt32) {
        guard let request = self.requests.removeValue(forKey: stream) else { return }
        Task(executorPreference: self.executor) {
            let reply = await Self.echo(request)
            self.respond(on: stream, with: reply)
        }
    }

    /// The method: gives the request back.
    private static func echo(_ request: ByteBuffer) async -> ByteBuffer { request }

    private func respond(on stream: UInt32, with reply: ByteBuffer) {
        guard reply.readableBytes <= self.sendWindow else {
            self.failure = "the client's connection window is short"
            return
        }
        self.sendWindow -= reply.readableBytes
        self.writeHeaders(Self.responseHeaders, stream: stream, endStream: false)
        self.output.writeH2Frame(.data, flags: 0, stream: stream) { $0.writeImmutableBuffer(reply) }
        self.writeHeaders(Self.trailers, stream: stream, endStream: true)
        self.answered()
    }

    private func writeHeaders(_ headers: HPACKHeaders, stream: UInt32, endStream: Bool) {
        do {
            try self.output.writeH2Headers(
                headers, encoder: &self.encoder, flags: endStream ? 0x5 : 0x4, stream: stream)
        } catch {
            self.failure = "HPACK: \(error)"
        }
    }
}
