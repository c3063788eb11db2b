public import GRPCCore  // MessageSerializer and MessageDeserializer appear in public conformances

/// Serializes messages for GRPCCore with libprotobuf-c.
public struct ProtobufSerializer<Message: ProtobufMessage>: MessageSerializer {
    public init() {}

    public func serialize<Bytes: GRPCContiguousBytes>(_ message: Message) throws -> Bytes {
        do {
            return try message.serializedBytes(as: Bytes.self)
        } catch {
            throw RPCError(code: .invalidArgument, message: "\(error)", cause: error)
        }
    }
}

/// Deserializes messages for GRPCCore with libprotobuf-c.
public struct ProtobufDeserializer<Message: ProtobufMessage>: MessageDeserializer {
    public init() {}

    public func deserialize<Bytes: GRPCContiguousBytes>(_ serializedMessageBytes: Bytes) throws -> Message {
        do {
            return try serializedMessageBytes.withUnsafeBytes { try Message(serializedBuffer: $0) }
        } catch {
            throw RPCError(code: .invalidArgument, message: "\(error)", cause: error)
        }
    }
}
