/// Which gRPC transport a host or plugin uses on its unix socket.
public enum TransportKind: String, Sendable, Hashable, CaseIterable {
  /// ``UnixSocketTransport/Server`` and ``UnixSocketTransport/Client``: one HTTP/2 handler per
  /// connection, no per-stream channels, PING limits that suit grpc-go peers.
  case lean
  /// grpc-swift-nio-transport's `HTTP2ServerTransport.Posix` and `HTTP2ClientTransport.Posix`.
  case stock
}
