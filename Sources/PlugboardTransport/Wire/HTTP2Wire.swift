internal import NIOCore

/// HTTP/2's framing (RFC 9113 §4.1): a 9-byte header (length, type, flags, stream), then the
/// payload.
struct HTTP2WireFrame {
    enum Kind: UInt8 {
        case data = 0x0, headers = 0x1, priority = 0x2, rstStream = 0x3, settings = 0x4, pushPromise = 0x5
        case ping = 0x6, goAway = 0x7, windowUpdate = 0x8, continuation = 0x9
    }

    enum Flag {
        static let endStream: UInt8 = 0x1
        static let ack: UInt8 = 0x1
        static let endHeaders: UInt8 = 0x4
        static let padded: UInt8 = 0x8
        static let priority: UInt8 = 0x20
    }

    /// The client's connection preface (§3.4).
    static let clientPreface = Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8)
    /// Every flow-control window's size until SETTINGS change it (§6.9.2).
    static let defaultWindow = 65_535
    /// The largest window and window increment (§6.9.1).
    static let largestWindow = Int(Int32.max)

    var type: UInt8
    var flags: UInt8
    var stream: UInt32
    var payload: ByteBuffer

    var kind: Kind? { Kind(rawValue: self.type) }

    func has(_ flag: UInt8) -> Bool { self.flags & flag != 0 }
}

extension ByteBuffer {
    /// The length the next frame's header announces, once its 9 bytes are here.
    func peekHTTP2FrameLength() -> Int? {
        guard self.readableBytes >= 9 else { return nil }
        let start = self.readerIndex
        return Int(self.getInteger(at: start, as: UInt16.self)!) << 8
            | Int(self.getInteger(at: start + 2, as: UInt8.self)!)
    }

    /// The next whole frame, or nil until all of it is here. The caller checks its length first
    /// (``peekHTTP2FrameLength()``).
    mutating func readHTTP2Frame() -> HTTP2WireFrame? {
        guard let length = self.peekHTTP2FrameLength(), self.readableBytes >= 9 + length else { return nil }
        let start = self.readerIndex
        let type = self.getInteger(at: start + 3, as: UInt8.self)!
        let flags = self.getInteger(at: start + 4, as: UInt8.self)!
        let stream = self.getInteger(at: start + 5, as: UInt32.self)! & 0x7fff_ffff
        self.moveReaderIndex(forwardBy: 9)
        return HTTP2WireFrame(type: type, flags: flags, stream: stream, payload: self.readSlice(length: length)!)
    }

    /// Appends a frame whose payload `body` writes.
    mutating func writeHTTP2Frame(
        _ kind: HTTP2WireFrame.Kind, flags: UInt8 = 0, stream: UInt32, body: (inout ByteBuffer) throws -> Void
    ) rethrows {
        let start = self.writerIndex
        self.writeRepeatingByte(0, count: 9)
        do {
            try body(&self)
        } catch {
            self.moveWriterIndex(to: start)
            throw error
        }
        self.setHTTP2FrameHeader(at: start, kind, flags: flags, stream: stream)
    }

    /// Fills in the header reserved at `start` for the frame whose payload follows it.
    mutating func setHTTP2FrameHeader(at start: Int, _ kind: HTTP2WireFrame.Kind, flags: UInt8, stream: UInt32) {
        let length = self.writerIndex - start - 9
        self.setInteger(UInt16(truncatingIfNeeded: length >> 8), at: start)
        self.setInteger(UInt8(truncatingIfNeeded: length), at: start + 2)
        self.setInteger(kind.rawValue, at: start + 3)
        self.setInteger(flags, at: start + 4)
        self.setInteger(stream, at: start + 5)
    }

    /// Drops a DATA or HEADERS payload's padding (flag PADDED); returns the padding's length,
    /// nil when the frame has none, or throws when it is longer than the payload.
    mutating func removeHTTP2Padding(flags: UInt8) throws(HTTP2Codec.Failure) -> Int? {
        guard flags & HTTP2WireFrame.Flag.padded != 0 else { return nil }
        guard let padding = self.readInteger(as: UInt8.self), Int(padding) <= self.readableBytes else {
            throw .protocolError("a frame's padding is longer than the frame")
        }
        self.moveWriterIndex(to: self.writerIndex - Int(padding))
        return Int(padding)
    }
}
