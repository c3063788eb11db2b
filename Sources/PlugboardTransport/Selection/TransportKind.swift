internal import GRPCCore

/// Which gRPC transport a host or plugin uses on its unix socket.
public enum TransportKind: String, Sendable, Hashable, CaseIterable {
    /// ``UnixSocketTransport/Server`` and ``UnixSocketTransport/Client``: one HTTP/2 handler per
    /// connection, no per-stream channels, PING limits that suit grpc-go peers.
    case lean
    /// grpc-swift-nio-transport's `HTTP2ServerTransport.Posix` and `HTTP2ClientTransport.Posix`.
    case stock
}

extension TransportKind {
    /// AutoMTLS was asked of the stock transport, which Plugboard serves and dials in plaintext only.
    static func autoMTLSNeedsLean() -> RuntimeError {
        RuntimeError(
            code: .invalidArgument,
            message: "AutoMTLS needs the lean transport; the stock transport is plaintext only. Use `transport: .lean`."
        )
    }
}
