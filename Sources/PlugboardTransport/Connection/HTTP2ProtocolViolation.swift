internal import NIOCore
internal import NIOHTTP2

/// The peer broke HTTP/2 at the connection level, or flooded it: ``HTTP2Codec`` answered with
/// GOAWAY and the connection was closed. It is the `cause` of the `RPCError`s (UNAVAILABLE) of the calls the
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
}
