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
    private var decoder = HPACKDecoder(allocator: ByteBufferAllocator())
    private var encoder = HPACKEncoder(allocator: ByteBufferAllocator())
    /// Open streams and the request bytes (gRPC-framed) each has sent.
    private var requests: [UInt32: ByteBuffer] = [:]
    /// A header block waiting for its CONTINUATION frames.
    private var pendingHeaders: (stream: UInt32, endStream: Bool, block: ByteBuffer)?
    private var sendWindow = 65_535
    private var unacknowledged = 0
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
            self.writeFrame(.settings, flags: 0, stream: 0) { _ in }
        }
        while let frame = try input.readH2Frame() {
            if frame.type == H2Frame.Kind.goAway.rawValue { return false }
            try self.handle(type: frame.type, flags: frame.flags, stream: frame.stream, payload: frame.payload)
        }
        return true
    }

    private func handle(type: UInt8, flags: UInt8, stream: UInt32, payload: ByteBuffer) throws {
        var payload = payload
        if let pending = self.pendingHeaders, type != H2Frame.Kind.continuation.rawValue || stream != pending.stream {
            throw H2Failed("a header block cut by another frame")
        }
        switch H2Frame.Kind(rawValue: type) {
        case .data:
            self.unacknowledged += payload.readableBytes
            if self.unacknowledged >= 32_768 {
                let increment = UInt32(self.unacknowledged)
                self.unacknowledged = 0
                self.writeFrame(.windowUpdate, flags: 0, stream: 0) { $0.writeInteger(increment) }
            }
            try payload.removeH2Padding(flags: flags)
            guard self.requests[stream] != nil else { return }  // reset, or never opened
            self.requests[stream]!.writeBuffer(&payload)
            if flags & 0x1 != 0 { self.complete(stream) }
        case .headers:
            try payload.removeH2Padding(flags: flags)
            if flags & 0x20 != 0 { payload.moveReaderIndex(forwardBy: 5) }  // priority
            self.pendingHeaders = (stream, flags & 0x1 != 0, payload)
            if flags & 0x4 != 0 { try self.endHeaders() }
        case .continuation:
            guard self.pendingHeaders != nil else { throw H2Failed("CONTINUATION without HEADERS") }
            self.pendingHeaders!.block.writeBuffer(&payload)
            if flags & 0x4 != 0 { try self.endHeaders() }
        case .rstStream:
            self.requests[stream] = nil
        case .settings where flags & 0x1 == 0:
            self.writeFrame(.settings, flags: 0x1, stream: 0) { _ in }
        case .ping where flags & 0x1 == 0:
            self.writeFrame(.ping, flags: 0x1, stream: 0) { $0.writeImmutableBuffer(payload) }
        case .windowUpdate where stream == 0:
            self.sendWindow += Int((payload.readInteger(as: UInt32.self) ?? 0) & 0x7fff_ffff)
        default:
            ()  // acknowledgements, stream window updates, priority, unknown types
        }
    }

    private func endHeaders() throws {
        guard let (stream, endStream, pending) = self.pendingHeaders else { return }
        self.pendingHeaders = nil
        var block = pending
        _ = try self.decoder.decodeHeaders(from: &block)  // decoded to keep the table in step
        if self.requests[stream] == nil { self.requests[stream] = ByteBuffer() }
        if endStream { self.complete(stream) }
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
        self.writeFrame(.data, flags: 0, stream: stream) { $0.writeImmutableBuffer(reply) }
        self.writeHeaders(Self.trailers, stream: stream, endStream: true)
        self.answered()
    }

    private func writeHeaders(_ headers: HPACKHeaders, stream: UInt32, endStream: Bool) {
        self.writeFrame(.headers, flags: endStream ? 0x5 : 0x4, stream: stream) { buffer in
            do {
                try self.encoder.encode(headers: headers, to: &buffer)
            } catch {
                self.failure = "HPACK: \(error)"
            }
        }
    }

    private func writeFrame(_ type: H2Frame.Kind, flags: UInt8, stream: UInt32, body: (inout ByteBuffer) -> Void) {
        self.output.writeH2Frame(type, flags: flags, stream: stream, body: body)
    }
}
