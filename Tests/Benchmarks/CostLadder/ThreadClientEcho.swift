import Foundation
import NIOCore
import NIOHPACK
import Synchronization

/// The client half of an own stack, against `ThreadServerEcho`: the calling task encodes and
/// writes its request itself (under a lock, no hop to another thread; what the socket can't take
/// yet is left to the reader thread), and a reader thread polling the socket decodes the answer
/// and resumes the caller: one hop per call.
enum ThreadClientEcho {
    static func client(_ path: String, _ measure: Measure) async throws -> Rung.Result {
        let connection = try ThreadClientConnection(fd: RawSocketEcho.socket(path, connect: true))
        defer { connection.shutDown() }
        let request = Self.request
        return try await measure {
            let reply = try await connection.call(request)
            guard reply == request else { throw EchoFailed() }
        }
    }

    /// Each own client's request: the echo message, gRPC-framed (uncompressed, its length).
    static var request: ByteBuffer {
        var request = ByteBuffer()
        request.writeInteger(UInt8(0))
        request.writeInteger(UInt32(messageSize))
        request.writeRepeatingByte(7, count: messageSize)
        return request
    }
}

/// One HTTP/2 connection to the echo method; calls come from any task.
final class ThreadClientConnection: Sendable {
    /// What the callers and the reader share, under the lock.
    private struct Shared {
        var encoder = HPACKEncoder(allocator: ByteBufferAllocator())
        var output = ByteBufferAllocator().buffer(capacity: 4_096)
        var nextStream: UInt32 = 1
        var sendWindow = 65_535
        var waiting: [UInt32: CheckedContinuation<ByteBuffer, any Error>] = [:]
        var failure: H2Failed?
    }

    static let requestHeaders = HPACKHeaders([
        (":method", "POST"), (":scheme", "http"), (":path", "/plugboard.test.v1.Echo/Get"),
        (":authority", "localhost"), ("content-type", "application/grpc"), ("te", "trailers"),
    ])

    private let fd: Int32
    private let wake: WakePipe
    private let shared = Mutex(Shared())

    /// Sends the preface and starts the reader thread.
    init(fd: Int32) throws {
        self.fd = fd
        self.wake = try WakePipe()
        setNonBlocking(fd)
        self.shared.withLock { shared in
            shared.output.writeBytes(H2Frame.preface)
            shared.output.writeH2Frame(.settings, flags: 0, stream: 0) { _ in }
        }
        Thread { self.readLoop() }.start()
    }

    /// Ends the connection; the reader thread sees end of file, fails what waits, and closes it.
    func shutDown() {
        shutdown(self.fd, Int32(SHUT_RDWR))
    }

    /// One unary call: `request` is the gRPC-framed message; returns the answer's.
    func call(_ request: ByteBuffer) async throws -> ByteBuffer {
        try await withCheckedThrowingContinuation { continuation in
            let (failure, leftOver): ((any Error)?, Bool) = self.shared.withLock { shared in
                if let failure = shared.failure { return (failure, false) }
                guard request.readableBytes <= shared.sendWindow else {
                    return (H2Failed("the server's connection window is short"), false)
                }
                shared.sendWindow -= request.readableBytes
                let stream = shared.nextStream
                shared.nextStream += 2
                let hadLeftOver = shared.output.readableBytes > 0
                do {
                    try shared.output.writeH2Headers(
                        Self.requestHeaders, encoder: &shared.encoder, flags: 0x4, stream: stream)
                    shared.output.writeH2Frame(.data, flags: 0x1, stream: stream) { $0.writeImmutableBuffer(request) }
                    if !hadLeftOver { try shared.output.writeAvailable(to: self.fd) }
                } catch {
                    return (error, false)
                }
                shared.waiting[stream] = continuation
                return (nil, !hadLeftOver && shared.output.readableBytes > 0)
            }
            if let failure { continuation.resume(throwing: failure) }
            if leftOver { self.wake.wake() }  // the reader thread polls for room to write the rest
        }
    }

    // MARK: The reader thread

    private func readLoop() {
        var reader = ThreadClientReader()
        do {
            var input = ByteBufferAllocator().buffer(capacity: 65_536)
            while true {
                let writable = self.shared.withLock { $0.output.readableBytes > 0 } ? Int16(POLLOUT) : 0
                let ready = try self.wake.wait(for: self.fd, events: Int16(POLLIN) | writable)
                if ready & Int16(POLLOUT) != 0 {
                    try self.shared.withLock { try $0.output.writeAvailable(to: self.fd) }
                }
                guard ready & Int16(POLLIN | POLLHUP | POLLERR) != 0 else { continue }
                guard try input.readAvailable(from: self.fd) else { break }
                var answers: [(CheckedContinuation<ByteBuffer, any Error>, Result<ByteBuffer, H2Failed>)] = []
                var control = ByteBuffer()
                var windowUpdate = 0
                while let frame = try input.readH2Frame() {
                    try reader.handle(frame, control: &control, windowUpdate: &windowUpdate) { stream, result in
                        if let waiter = self.shared.withLock({ $0.waiting.removeValue(forKey: stream) }) {
                            answers.append((waiter, result))
                        }
                    }
                }
                try self.shared.withLock { shared in
                    shared.sendWindow += windowUpdate
                    if control.readableBytes > 0 {
                        shared.output.writeImmutableBuffer(control)
                        try shared.output.writeAvailable(to: self.fd)
                    }
                }
                for (waiter, result) in answers { waiter.resume(with: result) }
            }
            self.fail(H2Failed("the server closed the connection"))
        } catch let error as H2Failed {
            self.fail(error)
        } catch {
            self.fail(H2Failed("\(error)"))
        }
        close(self.fd)
        self.wake.close()
    }

    private func fail(_ failure: H2Failed) {
        let waiters = self.shared.withLock { shared in
            shared.failure = failure
            defer { shared.waiting.removeAll() }
            return Array(shared.waiting.values)
        }
        for waiter in waiters { waiter.resume(throwing: failure) }
    }
}

/// A client connection's receiving state: `H2Reader`, and the answers being received.
struct ThreadClientReader {
    private var reader = H2Reader()
    private var answers: [UInt32: ByteBuffer] = [:]

    /// Handles one frame: control frames to send go to `control`, send window the server returns
    /// to `windowUpdate`, and each finished call to `finished`.
    mutating func handle(
        _ frame: H2Frame,
        control: inout ByteBuffer,
        windowUpdate: inout Int,
        finished: (UInt32, Result<ByteBuffer, H2Failed>) -> Void
    ) throws {
        switch try self.reader.read(frame, control: &control) {
        case .headers(let stream, let headers, let endStream):
            guard endStream else { return }  // the answer's headers; its trailers end it
            let answer = self.answers.removeValue(forKey: stream) ?? ByteBuffer()
            let status = headers.first(name: "grpc-status")
            finished(stream, status == "0" ? .success(answer) : .failure(H2Failed("grpc-status \(status ?? "none")")))
        case .data(let stream, var bytes, _):
            self.answers[stream, default: ByteBuffer()].writeBuffer(&bytes)
        case .reset(let stream):
            self.answers[stream] = nil
            finished(stream, .failure(H2Failed("the server reset stream \(stream)")))
        case .sendWindow(let increment):
            windowUpdate += increment
        case .goAway:
            throw H2Failed("the server sent GOAWAY")
        case .none:
            ()
        }
    }
}
