public import CProtobufC  // generated code passes protoc-c values to these helpers

/// Conversions from protoc-c values to Swift values, for generated decoding code
/// (`@_spi(ProtobufCGenerated) import ProtobufC`).
@_spi(ProtobufCGenerated)
public enum ProtobufCRuntime {
    /// A C string as a Swift string; `NULL` is the empty string.
    @inlinable
    public static func string(_ value: UnsafeMutablePointer<CChar>?) -> String {
        guard let value else { return "" }
        return String(cString: value)
    }

    /// Binary data as bytes.
    @inlinable
    public static func bytes(_ value: ProtobufCBinaryData) -> [UInt8] {
        guard value.len > 0, let data = value.data else { return [] }
        return Array(UnsafeBufferPointer(start: data, count: value.len))
    }

    /// A C array of values whose Swift and C types are the same.
    @inlinable
    public static func array<T>(_ values: UnsafeMutablePointer<T>?, count: Int) -> [T] {
        guard count > 0, let values else { return [] }
        return Array(UnsafeBufferPointer(start: values, count: count))
    }

    /// A C array converted element by element.
    @inlinable
    public static func array<T, R>(_ values: UnsafeMutablePointer<T>?, count: Int, _ transform: (T) -> R) -> [R] {
        guard count > 0, let values else { return [] }
        return UnsafeBufferPointer(start: values, count: count).map(transform)
    }

    /// A C array of message pointers as Swift messages; a `NULL` entry becomes the default message.
    @inlinable
    public static func messages<M: ProtobufMessage, C>(
        _ values: UnsafeMutablePointer<UnsafeMutablePointer<C>?>?,
        count: Int,
        as type: M.Type
    ) -> [M] {
        self.array(values, count: count) { $0.map { M(_protobufC: UnsafeRawPointer($0)) } ?? M() }
    }

    /// A message pointer as an optional Swift message.
    @inlinable
    public static func message<M: ProtobufMessage, C>(_ value: UnsafeMutablePointer<C>?, as type: M.Type) -> M? {
        value.map { M(_protobufC: UnsafeRawPointer($0)) }
    }

    /// Map entries as a dictionary; as in every protobuf runtime, the last entry for a key wins.
    @inlinable
    public static func map<E, K: Hashable, V>(
        _ entries: UnsafeMutablePointer<UnsafeMutablePointer<E>?>?,
        count: Int,
        _ entry: (E) -> (K, V)
    ) -> [K: V] {
        guard count > 0, let entries else { return [:] }
        var result = [K: V](minimumCapacity: count)
        for pointer in UnsafeBufferPointer(start: entries, count: count) {
            guard let pointer else { continue }
            let (key, value) = entry(pointer.pointee)
            result[key] = value
        }
        return result
    }

    /// Whether a proto2 `optional string` field was present in the decoded bytes.
    ///
    /// protoc-c points an absent string at the field's default (or `NULL` without one).
    public static func isPresent(
        _ value: UnsafeMutablePointer<CChar>?,
        field number: UInt32,
        in descriptor: UnsafeRawPointer
    ) -> Bool {
        guard let value else { return false }
        let message = descriptor.assumingMemoryBound(to: ProtobufCMessageDescriptor.self)
        guard let field = protobuf_c_message_descriptor_get_field(message, number) else { return true }
        return UnsafeRawPointer(value) != field.pointee.default_value
    }
}
