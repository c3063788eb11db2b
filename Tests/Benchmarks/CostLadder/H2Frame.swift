import NIOCore
import NIOHPACK

#if canImport(Glibc)
import Glibc
#endif

/// The HTTP/2 framing the own-stack rungs share (RFC 9113 §4.1): a 9-byte header, then the payload.
struct H2Frame {
    enum Kind: UInt8 {
        case data = 0, headers = 1, rstStream = 3, settings = 4, ping = 6, goAway = 7, windowUpdate = 8
        case continuation = 9
    }

    static let preface = Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8)
    /// SETTINGS_MAX_FRAME_SIZE: neither end of these rungs announces a larger one.
    static let maxSize = 16_384

    var type: UInt8
    var flags: UInt8
    var stream: UInt32
    var payload: ByteBuffer
}

/// Why a rung's own HTTP/2 end gave up.
struct H2Failed: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

extension ByteBuffer {
    /// The next whole frame, or nil until more bytes arrive.
    mutating func readH2Frame() throws -> H2Frame? {
        guard self.readableBytes >= 9 else { return nil }
        let start = self.readerIndex
        let length =
            Int(self.getInteger(at: start, as: UInt16.self)!) << 8
            | Int(self.getInteger(at: start + 2, as: UInt8.self)!)
        guard length <= H2Frame.maxSize else { throw H2Failed("a frame of \(length) bytes") }
        guard self.readableBytes >= 9 + length else { return nil }
        let type = self.getInteger(at: start + 3, as: UInt8.self)!
        let flags = self.getInteger(at: start + 4, as: UInt8.self)!
        let stream = self.getInteger(at: start + 5, as: UInt32.self)! & 0x7fff_ffff
        self.moveReaderIndex(forwardBy: 9)
        return H2Frame(type: type, flags: flags, stream: stream, payload: self.readSlice(length: length)!)
    }

    /// Appends a frame; `body` writes its payload.
    mutating func writeH2Frame(_ type: H2Frame.Kind, flags: UInt8, stream: UInt32, body: (inout ByteBuffer) -> Void) {
        let start = self.writerIndex
        self.writeRepeatingByte(0, count: 9)
        body(&self)
        self.setH2FrameHeader(at: start, type, flags: flags, stream: stream)
    }

    /// Appends a HEADERS frame carrying `headers`, encoded by `encoder`.
    mutating func writeH2Headers(
        _ headers: HPACKHeaders, encoder: inout HPACKEncoder, flags: UInt8, stream: UInt32
    ) throws {
        let start = self.writerIndex
        self.writeRepeatingByte(0, count: 9)
        try encoder.encode(headers: headers, to: &self)
        self.setH2FrameHeader(at: start, .headers, flags: flags, stream: stream)
    }

    /// Fills in the 9-byte header reserved at `start` for the frame whose payload follows it.
    mutating func setH2FrameHeader(at start: Int, _ type: H2Frame.Kind, flags: UInt8, stream: UInt32) {
        let length = self.writerIndex - start - 9
        self.setInteger(UInt16(length >> 8), at: start)
        self.setInteger(UInt8(length & 0xff), at: start + 2)
        self.setInteger(type.rawValue, at: start + 3)
        self.setInteger(flags, at: start + 4)
        self.setInteger(stream, at: start + 5)
    }

    /// Drops a DATA or HEADERS payload's padding (flag PADDED, 0x8).
    mutating func removeH2Padding(flags: UInt8) throws {
        guard flags & 0x8 != 0 else { return }
        guard let padding = self.readInteger(as: UInt8.self), Int(padding) <= self.readableBytes else {
            throw H2Failed("bad padding")
        }
        self.moveWriterIndex(to: self.writerIndex - Int(padding))
    }

    /// Appends what one `read` of the non-blocking `fd` gives; false at end of file.
    mutating func readAvailable(from fd: Int32) throws -> Bool {
        var count = 0
        self.discardReadBytes()
        self.writeWithUnsafeMutableBytes(minimumWritableBytes: 16_384) { buffer in
            count = read(fd, buffer.baseAddress, buffer.count)
            return max(count, 0)
        }
        if count < 0 && errno != EAGAIN && errno != EINTR { throw H2Failed("read: errno \(errno)") }
        return count != 0
    }

    /// Writes to the non-blocking `fd` until it is full or the buffer empty; what is left waits for
    /// the next call.
    mutating func writeAvailable(to fd: Int32) throws {
        while self.readableBytes > 0 {
            let written = self.withUnsafeReadableBytes { write(fd, $0.baseAddress, $0.count) }
            if written < 0 {
                if errno == EAGAIN { return }
                if errno == EINTR { continue }
                throw H2Failed("write: errno \(errno)")
            }
            self.moveReaderIndex(forwardBy: written)
        }
        self.clear()
    }
}

/// What a thread blocked in `poll` is woken by: a non-blocking pipe.
struct WakePipe: Sendable {
    private let readEnd: Int32
    private let writeEnd: Int32

    init() throws {
        var ends: [Int32] = [0, 0]
        guard pipe(&ends) == 0 else { throw H2Failed("pipe: errno \(errno)") }
        (self.readEnd, self.writeEnd) = (ends[0], ends[1])
        setNonBlocking(self.readEnd)
        setNonBlocking(self.writeEnd)
    }

    func wake() {
        var byte: UInt8 = 1
        _ = write(self.writeEnd, &byte, 1)
    }

    /// Blocks until `fd` is ready for `events` or `wake()` is called; returns `fd`'s ready events.
    func wait(for fd: Int32, events: Int16) throws -> Int16 {
        try withUnsafeTemporaryAllocation(of: pollfd.self, capacity: 2) { fds in
            fds[0] = pollfd(fd: fd, events: events, revents: 0)
            fds[1] = pollfd(fd: self.readEnd, events: Int16(POLLIN), revents: 0)
            while poll(fds.baseAddress, 2, -1) < 0 {
                guard errno == EINTR else { throw H2Failed("poll: errno \(errno)") }
            }
            if fds[1].revents != 0 {
                var bytes: (UInt64, UInt64) = (0, 0)
                while read(self.readEnd, &bytes, 16) > 0 {}
            }
            return fds[0].revents
        }
    }

    func close() {
        _ = Glibc.close(self.readEnd)
        _ = Glibc.close(self.writeEnd)
    }
}

func setNonBlocking(_ fd: Int32) {
    _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
}
