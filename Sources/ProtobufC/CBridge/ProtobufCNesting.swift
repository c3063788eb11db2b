internal import CProtobufC

/// Bounds how deeply messages nest before libprotobuf-c, which recurses once per level, decodes them.
///
/// Only message types that can contain themselves need the check; it walks the bytes with the
/// message descriptors and throws past ``limit`` levels, as the protobuf C++ runtime does.
enum ProtobufCNesting {
    static let limit = 100
    /// Each level takes at least a key byte and a length byte, so shorter input cannot exceed the limit.
    static let minimumBytesToExceedLimit = 2 * limit

    static func check(
        _ buffer: UnsafeRawBufferPointer,
        descriptor: UnsafePointer<ProtobufCMessageDescriptor>,
        messageType: String
    ) throws {
        if !self.isWithinLimit(buffer, descriptor: descriptor, depth: 1) {
            throw ProtobufError(
                code: .nestingTooDeep,
                messageType: messageType,
                message: "cannot decode \(messageType): messages nest deeper than \(self.limit) levels"
            )
        }
    }

    private static func isWithinLimit(
        _ buffer: UnsafeRawBufferPointer,
        descriptor: UnsafePointer<ProtobufCMessageDescriptor>,
        depth: Int
    ) -> Bool {
        guard depth <= self.limit else { return false }
        var reader = WireReader(buffer)
        do {
            while !reader.isAtEnd {
                let key = try reader.readKey()
                guard key.wireType == 2 else {
                    try reader.skip(wireType: key.wireType)
                    continue
                }
                let payload = try reader.readLengthDelimited()
                guard let field = protobuf_c_message_descriptor_get_field(descriptor, key.number),
                    field.pointee.type == PROTOBUF_C_TYPE_MESSAGE,
                    let nested = field.pointee.descriptor
                else { continue }
                let nestedDescriptor = nested.assumingMemoryBound(to: ProtobufCMessageDescriptor.self)
                if !self.isWithinLimit(payload, descriptor: nestedDescriptor, depth: depth + 1) { return false }
            }
        } catch {
            return true  // malformed bytes: libprotobuf-c rejects them without deep recursion
        }
        return true
    }
}
