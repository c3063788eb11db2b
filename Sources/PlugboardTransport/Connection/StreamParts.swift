internal import GRPCCore
internal import GRPCNIOTransportHTTP2

/// What the event loop hands a stream's reader: request parts on a server, response parts on a
/// client. One enum for both keeps ``StreamCore`` non-generic.
enum InboundPart: Sendable {
    case metadata(Metadata)
    case message(GRPCNIOTransportBytes)
    case status(Status, Metadata)
}

/// What a stream's writer hands the event loop.
enum OutboundPart: Sendable {
    case metadata(Metadata)
    case message(GRPCNIOTransportBytes)
    case status(Status, Metadata)
    /// The writer finished: END_STREAM on a client; on a server, a reset if no status was sent.
    case end
    /// The writer gave up: the stream is reset.
    case abort

    /// Bytes this part adds to the stream's outbound buffer.
    var size: Int {
        if case .message(let bytes) = self { return bytes.wireSize }
        return 0
    }
}
