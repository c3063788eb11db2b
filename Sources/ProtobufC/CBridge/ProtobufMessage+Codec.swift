internal import CProtobufC
public import GRPCCore  // GRPCContiguousBytes appears in public signatures

extension ProtobufMessage {
    /// Encodes the message with libprotobuf-c.
    ///
    /// - Throws: ``ProtobufError`` with code `encodingFailed` when a value cannot be encoded.
    public func serializedBytes() throws -> [UInt8] {
        try self.serializedBytes(as: [UInt8].self)
    }

    /// Encodes the message with libprotobuf-c into any contiguous byte container.
    public func serializedBytes<Bytes: GRPCContiguousBytes>(as: Bytes.Type) throws -> Bytes {
        let arena = ProtobufCArena()
        let message: UnsafeMutablePointer<CProtobufC.ProtobufCMessage>
        do {
            message = try arena.message(self, as: CProtobufC.ProtobufCMessage.self)
        } catch let failure as ProtobufCArena.EncodingFailure {
            throw ProtobufError(
                code: .encodingFailed,
                messageType: Self.protoMessageName,
                message: "cannot encode \(Self.protoMessageName): \(failure.reason)"
            )
        }
        let size = protobuf_c_message_get_packed_size(message)
        var bytes = Bytes(repeating: 0, count: size)
        if size > 0 {
            bytes.withUnsafeMutableBytes { buffer in
                _ = protobuf_c_message_pack(message, buffer.baseAddress!.assumingMemoryBound(to: UInt8.self))
            }
        }
        return bytes
    }

    /// Decodes a message with libprotobuf-c.
    ///
    /// Every C allocation made while decoding is freed before this returns.
    /// - Throws: ``ProtobufError`` that names the message type and says what is wrong with the bytes.
    public init(serializedBytes bytes: some GRPCContiguousBytes) throws {
        self = try bytes.withUnsafeBytes { try Self(serializedBuffer: $0) }
    }

    /// Decodes a message from raw bytes with libprotobuf-c.
    public init(serializedBuffer buffer: UnsafeRawBufferPointer) throws {
        let descriptor = Self._protobufCDescriptor.assumingMemoryBound(to: ProtobufCMessageDescriptor.self)
        if Self._protobufCIsRecursive, buffer.count > ProtobufCNesting.minimumBytesToExceedLimit {
            try ProtobufCNesting.check(buffer, descriptor: descriptor, messageType: Self.protoMessageName)
        }
        var empty: UInt8 = 0
        let unpacked = withUnsafePointer(to: &empty) { emptyPointer in
            let start = buffer.baseAddress?.assumingMemoryBound(to: UInt8.self) ?? emptyPointer
            return protobuf_c_message_unpack(descriptor, nil, buffer.count, start)
        }
        guard let unpacked else {
            throw ProtobufError(
                code: .decodingFailed,
                messageType: Self.protoMessageName,
                message: "cannot decode \(Self.protoMessageName) from \(buffer.count) bytes: "
                    + WireDiagnosis.explain(buffer)
                    + "; check that both sides build from the same .proto file"
            )
        }
        defer { protobuf_c_message_free_unpacked(unpacked, nil) }
        self.init(_protobufC: UnsafeRawPointer(unpacked))
    }
}
