internal import NIOCore
internal import NIOHTTP2

/// The peer broke HTTP/2 at the connection level: the HTTP/2 handler answered with GOAWAY and the
/// connection was closed. It is the `cause` of the `RPCError`s (UNAVAILABLE) of the calls the
/// connection ended, and of the error new calls get until a connection works again.
public struct HTTP2ProtocolViolation: Error, CustomStringConvertible, Sendable {
    /// What the peer did, in words: "it sent DATA beyond its flow-control window".
    public let reason: String
    /// The error code of the GOAWAY sent to the peer, e.g. `FLOW_CONTROL_ERROR`.
    public let goAwayCode: String

    public var description: String {
        "the peer broke the HTTP/2 protocol: \(self.reason) (the connection was closed with GOAWAY \(self.goAwayCode))"
    }

    init(reason: String, goAwayCode: HTTP2ErrorCode) {
        self.reason = reason
        self.goAwayCode = Self.name(of: goAwayCode)
    }

    init(error: any Error, goAwayCode: HTTP2ErrorCode) {
        self.reason = Self.reason(for: error)
        self.goAwayCode = Self.name(of: goAwayCode)
    }

    /// A connection error that the HTTP/2 handler reports without a GOAWAY of its own (a flood, a
    /// client that doesn't speak HTTP/2), which ends the connection as ENHANCE_YOUR_CALM; `nil` for
    /// any other error (a stream error, say).
    init?(unannounced error: any Error) {
        guard let reason = Self.unannouncedReason(for: error) else { return nil }
        self.init(reason: reason, goAwayCode: .enhanceYourCalm)
    }

    /// RFC 9113's name for `code`.
    private static func name(of code: HTTP2ErrorCode) -> String {
        let names: [HTTP2ErrorCode: String] = [
            .noError: "NO_ERROR", .protocolError: "PROTOCOL_ERROR", .internalError: "INTERNAL_ERROR",
            .flowControlError: "FLOW_CONTROL_ERROR", .settingsTimeout: "SETTINGS_TIMEOUT",
            .streamClosed: "STREAM_CLOSED",
            .frameSizeError: "FRAME_SIZE_ERROR", .refusedStream: "REFUSED_STREAM", .cancel: "CANCEL",
            .compressionError: "COMPRESSION_ERROR", .connectError: "CONNECT_ERROR",
            .enhanceYourCalm: "ENHANCE_YOUR_CALM",
            .inadequateSecurity: "INADEQUATE_SECURITY", .http11Required: "HTTP_1_1_REQUIRED",
        ]
        return names[code] ?? "0x\(String(code.networkCode, radix: 16))"
    }

    private static func reason(for error: any Error) -> String {
        switch error {
        case let error as HTTP2PeerError:
            return error.reason
        case is NIOHTTP2Errors.FlowControlViolation:
            return "it sent DATA beyond its flow-control window"
        case is NIOHTTP2Errors.UnableToParseFrame:
            return "it sent bytes that are not a valid HTTP/2 frame"
        case is NIOHTTP2Errors.MissingPreface:
            return "its first frame was not SETTINGS (no HTTP/2 preface)"
        default:
            return Self.unannouncedReason(for: error) ?? "\(type(of: error)): \(error)"
        }
    }

    /// The errors of ``init(unannounced:)``, in words. Concrete types only: the first
    /// `is any SomeProtocol` a process asks of a type scans every conformance record in the binary.
    private static func unannouncedReason(for error: any Error) -> String? {
        switch error {
        case is NIOHTTP2Errors.BadClientMagic:
            return "it did not start with the HTTP/2 client preface"
        case is NIOHTTP2Errors.ExcessivelyLargeHeaderBlock, is NIOHTTP2Errors.ExcessiveContinuationFrames:
            return "it sent a header block larger than allowed"
        case is NIOHTTP2Errors.ExcessiveControlFrames:
            return "it flooded the connection with control frames"
        case is NIOHTTP2Errors.ExcessiveEmptyDataFrames:
            return "it flooded a stream with empty DATA frames"
        case is NIOHTTP2Errors.ExcessiveRSTFrames, is NIOHTTP2Errors.ExcessiveStreamErrors,
            is NIOHTTP2Errors.ExcessiveNumberOfGlitches:
            return "it caused too many stream resets or errors"
        case is NIOHTTP2Errors.ExcessiveOutboundFrameBuffering:
            return "it does not read the frames it is owed"
        default:
            return nil
        }
    }
}

/// Sees every frame the HTTP/2 handler writes and remembers a GOAWAY carrying an error code: the
/// handler writes one just before it reports a connection error (a stream error gets RST_STREAM),
/// which is how ``GRPCConnectionHandler/errorCaught(context:error:)`` tells the two apart.
/// Event loop only.
final class ConnectionErrorWatch: NIOHTTP2FrameDelegate, @unchecked Sendable {
    /// The error code of the last GOAWAY with an error written and not yet taken.
    private var pendingCode: HTTP2ErrorCode?

    func wroteFrame(_ frame: HTTP2Frame) {
        if case .goAway(_, let code, _) = frame.payload, code != .noError {
            self.pendingCode = code
        }
    }

    /// The code of a connection-error GOAWAY written since the last call, if any.
    func takeConnectionError() -> HTTP2ErrorCode? {
        defer { self.pendingCode = nil }
        return self.pendingCode
    }
}
