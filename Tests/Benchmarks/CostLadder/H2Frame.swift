import NIOCore

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
        let length = Int(self.getInteger(at: start, as: UInt16.self)!) << 8
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

    /// One blocking `read` appended to the buffer; false at end of file.
    mutating func readOnce(from fd: Int32) throws -> Bool {
        var count = 0
        self.discardReadBytes()
        self.writeWithUnsafeMutableBytes(minimumWritableBytes: 16_384) { buffer in
            count = read(fd, buffer.baseAddress, buffer.count)
            return max(count, 0)
        }
        if count < 0 { throw H2Failed("read: errno \(errno)") }
        return count > 0
    }

    /// Writes every readable byte to `fd`, then empties the buffer.
    mutating func writeAll(to fd: Int32) throws {
        while self.readableBytes > 0 {
            let written = self.withUnsafeReadableBytes { write(fd, $0.baseAddress, $0.count) }
            guard written > 0 else { throw H2Failed("write: errno \(errno)") }
            self.moveReaderIndex(forwardBy: written)
        }
        self.clear()
    }
}
