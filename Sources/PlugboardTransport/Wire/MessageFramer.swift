internal import GRPCNIOTransportHTTP2Posix
internal import NIOCore

extension ByteBuffer {
    /// Appends one uncompressed gRPC length-prefixed message.
    mutating func writeGRPCMessage(_ bytes: GRPCNIOTransportBytes) {
        self.writeInteger(UInt8(0))
        self.writeInteger(UInt32(truncatingIfNeeded: bytes.count))
        bytes.withUnsafeBytes { _ = self.writeBytes($0) }
    }
}

extension GRPCNIOTransportBytes {
    /// The number of bytes this message takes on the wire, prefix included.
    var wireSize: Int { 5 + self.count }
}
