import NIOCore
import NIOHPACK
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A server stack without an event-loop library, to measure what one could cost: a thread per
/// connection doing blocking reads, its own HTTP/2 framing (HPACK from NIOHPACK), each request's
/// method run as an async function in a task whose executor is that same thread, and one `write`
/// per read. The client is the lean rung's, so the peer's CPU per call compares with the lean
/// rung's server (swift-nio, swift-nio-http2 and Plugboard's connection handler).
///
/// Enough HTTP/2 for this client and no more: SETTINGS, PING, WINDOW_UPDATE, HEADERS with
/// CONTINUATION, DATA and RST_STREAM. It keeps the connection's send window, and fails the rung
/// (closes the connection) rather than wait on it; streams' windows are never short for one
/// 64-byte message.
enum ThreadServerEcho {
    static func serve(path: String) throws {
        let listener = try RawSocketEcho.socket(path, connect: false)
        announceReady()
        let fd = accept(listener, nil, nil)
        guard fd >= 0 else { throw EchoFailed() }
        defer { close(fd) }
        try ThreadServerConnection(fd: fd).run()
    }
}

/// Runs the jobs of tasks that prefer it on the connection's thread, between reads.
final class InlineExecutor: TaskExecutor {
    private let jobs = Mutex<[UnownedJob]>([])

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        self.jobs.withLock { $0.append(job) }
    }

    /// Runs every job queued, and those they queue, then returns.
    func runPending() {
        while true {
            let batch = self.jobs.withLock { jobs in
                defer { jobs.removeAll(keepingCapacity: true) }
                return jobs
            }
            if batch.isEmpty { return }
            for job in batch { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
        }
    }
}

/// One connection's state. Used only on its thread: tasks touch it from jobs that `InlineExecutor`
/// runs on that thread, hence `@unchecked Sendable`.
final class ThreadServerConnection: @unchecked Sendable {
    private static let responseHeaders = HPACKHeaders([(":status", "200"), ("content-type", "application/grpc")])
    private static let trailers = HPACKHeaders([("grpc-status", "0")])

    private let fd: Int32
    private let executor = InlineExecutor()
    private var input = ByteBufferAllocator().buffer(capacity: 65_536)
    private var output = ByteBufferAllocator().buffer(capacity: 4_096)
    private var decoder = HPACKDecoder(allocator: ByteBufferAllocator())
    private var encoder = HPACKEncoder(allocator: ByteBufferAllocator())
    /// Open streams and the request bytes (gRPC-framed) each has sent.
    private var requests: [UInt32: ByteBuffer] = [:]
    /// A header block waiting for its CONTINUATION frames.
    private var pendingHeaders: (stream: UInt32, endStream: Bool, block: ByteBuffer)?
    private var sendWindow = 65_535
    private var unacknowledged = 0
    private var failure: String?

    init(fd: Int32) { self.fd = fd }

    func run() throws {
        try self.readAtLeast(H2Frame.preface.count)
        guard self.input.readBytes(length: H2Frame.preface.count) == H2Frame.preface else { throw EchoFailed() }
        self.writeFrame(.settings, flags: 0, stream: 0) { _ in }
        while true {
            while let frame = try self.input.readH2Frame() {
                if frame.type == H2Frame.Kind.goAway.rawValue { return }
                try self.handle(type: frame.type, flags: frame.flags, stream: frame.stream, payload: frame.payload)
            }
            self.executor.runPending()
            if let failure = self.failure { throw H2Failed(failure) }
            try self.flush()
            guard try self.read() else { return }
        }
    }

    // MARK: Reading

    /// Reads once; false at end of file.
    private func read() throws -> Bool {
        try self.input.readOnce(from: self.fd)
    }

    private func readAtLeast(_ count: Int) throws {
        while self.input.readableBytes < count {
            guard try self.read() else { throw EchoFailed() }
        }
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

    private func flush() throws {
        try self.output.writeAll(to: self.fd)
    }
}
