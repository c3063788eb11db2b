import NIOCore
import NIOHPACK

/// What a frame means to its stream, once `H2Reader` has done the connection's part.
enum H2Event {
    case headers(stream: UInt32, HPACKHeaders, endStream: Bool)
    case data(stream: UInt32, ByteBuffer, endStream: Bool)
    case reset(stream: UInt32)
    /// The peer returned this much of the connection's send window.
    case sendWindow(Int)
    case goAway
    case none
}

/// The receiving half of an own HTTP/2 end: header blocks (HEADERS and CONTINUATION, decoded),
/// padding, the connection's receive window (returned in a WINDOW_UPDATE every 32 KiB), and the
/// acknowledgements of SETTINGS and PING.
struct H2Reader {
    private var decoder = HPACKDecoder(allocator: ByteBufferAllocator())
    /// A header block waiting for its CONTINUATION frames.
    private var pendingHeaders: (stream: UInt32, endStream: Bool, block: ByteBuffer)?
    private var unacknowledged = 0

    /// Reads `frame`; the frames it owes the peer go to `control`.
    mutating func read(_ frame: H2Frame, control: inout ByteBuffer) throws -> H2Event {
        var payload = frame.payload
        if let pending = self.pendingHeaders,
            frame.type != H2Frame.Kind.continuation.rawValue || frame.stream != pending.stream
        {
            throw H2Failed("a header block cut by another frame")
        }
        switch H2Frame.Kind(rawValue: frame.type) {
        case .data:
            self.unacknowledged += payload.readableBytes
            if self.unacknowledged >= 32_768 {
                let increment = UInt32(self.unacknowledged)
                self.unacknowledged = 0
                control.writeH2Frame(.windowUpdate, flags: 0, stream: 0) { $0.writeInteger(increment) }
            }
            try payload.removeH2Padding(flags: frame.flags)
            return .data(stream: frame.stream, payload, endStream: frame.flags & 0x1 != 0)
        case .headers:
            try payload.removeH2Padding(flags: frame.flags)
            if frame.flags & 0x20 != 0 { payload.moveReaderIndex(forwardBy: 5) }  // priority
            self.pendingHeaders = (frame.stream, frame.flags & 0x1 != 0, payload)
            return frame.flags & 0x4 != 0 ? try self.endHeaders() : .none
        case .continuation:
            guard self.pendingHeaders != nil else { throw H2Failed("CONTINUATION without HEADERS") }
            self.pendingHeaders!.block.writeBuffer(&payload)
            return frame.flags & 0x4 != 0 ? try self.endHeaders() : .none
        case .rstStream:
            return .reset(stream: frame.stream)
        case .settings where frame.flags & 0x1 == 0:
            control.writeH2Frame(.settings, flags: 0x1, stream: 0) { _ in }
        case .ping where frame.flags & 0x1 == 0:
            control.writeH2Frame(.ping, flags: 0x1, stream: 0) { $0.writeImmutableBuffer(payload) }
        case .windowUpdate where frame.stream == 0:
            return .sendWindow(Int((payload.readInteger(as: UInt32.self) ?? 0) & 0x7fff_ffff))
        case .goAway:
            return .goAway
        default:
            ()  // acknowledgements, stream window updates, priority, unknown types
        }
        return .none
    }

    private mutating func endHeaders() throws -> H2Event {
        guard let (stream, endStream, pending) = self.pendingHeaders else { return .none }
        self.pendingHeaders = nil
        var block = pending
        return .headers(stream: stream, try self.decoder.decodeHeaders(from: &block), endStream: endStream)
    }
}
