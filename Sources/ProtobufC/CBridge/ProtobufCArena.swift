public import CProtobufC  // generated code fills protoc-c structs with values made here

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Memory for one encode: every string, array and sub-message of the protoc-c struct comes from
/// here and is freed at once when the arena goes away, right after `protobuf_c_message_pack`.
///
/// Only generated code calls these methods (`@_spi(ProtobufCGenerated) import ProtobufC`).
@_spi(ProtobufCGenerated)
public final class ProtobufCArena {
    /// Why a value could not be encoded; turned into a ``ProtobufError`` by the caller.
    struct EncodingFailure: Error {
        var reason: String
    }

    private static let blockSize = 4096
    private var blocks: [UnsafeMutableRawPointer] = []
    private var cursor = 0
    private var limit = 0

    init() {}

    deinit {
        for block in self.blocks { free(block) }
    }

    /// Allocates uninitialized memory for `count` values of `type`.
    public func allocate<T>(_ type: T.Type, count: Int = 1) -> UnsafeMutablePointer<T> {
        let alignment = MemoryLayout<T>.alignment
        let byteCount = MemoryLayout<T>.stride * count
        let start = (self.cursor + alignment - 1) & ~(alignment - 1)
        if start + byteCount <= self.limit, let address = UnsafeMutableRawPointer(bitPattern: start) {
            self.cursor = start + byteCount
            return address.bindMemory(to: T.self, capacity: count)
        }
        let size = max(Self.blockSize, byteCount + alignment)
        guard let block = malloc(size) else { fatalError("out of memory encoding a protobuf message") }
        self.blocks.append(block)
        let blockStart = (Int(bitPattern: block) + alignment - 1) & ~(alignment - 1)
        self.cursor = blockStart + byteCount
        self.limit = Int(bitPattern: block) + size
        return UnsafeMutableRawPointer(bitPattern: blockStart)!.bindMemory(to: T.self, capacity: count)
    }

    /// Allocates and fills the protoc-c struct of a message.
    public func message<M: ProtobufMessage, C>(_ value: M, as type: C.Type) throws -> UnsafeMutablePointer<C> {
        let message = self.emptyMessage(type, descriptor: M._protobufCDescriptor)
        try value._protobufCFill(UnsafeMutableRawPointer(message), arena: self)
        return message
    }

    /// Allocates a protoc-c struct set to its defaults by `protobuf_c_message_init`.
    ///
    /// The size comes from the descriptor, so `type` may be the struct or its `ProtobufCMessage` base.
    public func emptyMessage<C>(_ type: C.Type, descriptor: UnsafeRawPointer) -> UnsafeMutablePointer<C> {
        let descriptor = descriptor.assumingMemoryBound(to: ProtobufCMessageDescriptor.self)
        let words = (descriptor.pointee.sizeof_message + 7) / 8
        let message = UnsafeMutableRawPointer(self.allocate(UInt64.self, count: words))
        protobuf_c_message_init(descriptor, message)
        return message.assumingMemoryBound(to: C.self)
    }

    /// Copies a string as a NUL-terminated C string.
    ///
    /// protobuf-c strings end at the first NUL, so a string holding one cannot be sent as is.
    public func string(_ value: String, field: StaticString) throws -> UnsafeMutablePointer<CChar> {
        var value = value
        return try value.withUTF8 { utf8 in
            if memchr(utf8.baseAddress ?? UnsafePointer(bitPattern: 1)!, 0, utf8.count) != nil {
                throw EncodingFailure(
                    reason: "string field `\(field)` contains a NUL character, which protobuf-c strings "
                        + "cannot carry; remove it or use a `bytes` field"
                )
            }
            let copy = self.allocate(CChar.self, count: utf8.count + 1)
            if let source = utf8.baseAddress { memcpy(copy, source, utf8.count) }
            copy[utf8.count] = 0
            return copy
        }
    }

    /// Copies bytes into a `ProtobufCBinaryData`.
    public func bytes(_ value: [UInt8]) -> ProtobufCBinaryData {
        guard !value.isEmpty else { return ProtobufCBinaryData(len: 0, data: nil) }
        let copy = self.allocate(UInt8.self, count: value.count)
        value.withUnsafeBufferPointer { _ = memcpy(copy, $0.baseAddress!, value.count) }
        return ProtobufCBinaryData(len: value.count, data: copy)
    }

    /// Copies values whose Swift and C types are the same (integers and floating point).
    public func repeated<T>(_ values: [T]) -> (Int, UnsafeMutablePointer<T>?) {
        guard !values.isEmpty else { return (0, nil) }
        let copy = self.allocate(T.self, count: values.count)
        values.withUnsafeBufferPointer { copy.initialize(from: $0.baseAddress!, count: values.count) }
        return (values.count, copy)
    }

    /// Converts each value to its C representation in a new array.
    public func repeated<T, C>(
        _ values: some Collection<T>,
        _ convert: (T) throws -> C
    ) rethrows -> (Int, UnsafeMutablePointer<C>?) {
        guard !values.isEmpty else { return (0, nil) }
        let copy = self.allocate(C.self, count: values.count)
        var index = 0
        for value in values {
            (copy + index).initialize(to: try convert(value))
            index += 1
        }
        return (values.count, copy)
    }

    /// Copies strings as an array of C strings.
    public func strings(
        _ values: [String],
        field: StaticString
    ) throws -> (Int, UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) {
        try self.repeated(values) { Optional(try self.string($0, field: field)) }
    }

    /// Encodes messages as an array of pointers to their protoc-c structs.
    public func messages<M: ProtobufMessage, C>(
        _ values: [M],
        as type: C.Type
    ) throws -> (Int, UnsafeMutablePointer<UnsafeMutablePointer<C>?>?) {
        try self.repeated(values) { Optional(try self.message($0, as: type)) }
    }

    /// Encodes a dictionary as protoc-c map entries, sorted by key so that equal maps encode to
    /// equal bytes; `fill` initializes each entry and sets its key and value.
    public func mapEntries<K: Comparable, V, C>(
        _ values: [K: V],
        as type: C.Type,
        _ fill: (K, V, UnsafeMutablePointer<C>) throws -> Void
    ) rethrows -> (Int, UnsafeMutablePointer<UnsafeMutablePointer<C>?>?) {
        try self.entries(values.sorted { $0.key < $1.key }, as: type, fill)
    }

    /// Encodes a `bool`-keyed map, `false` first.
    public func mapEntries<V, C>(
        _ values: [Bool: V],
        as type: C.Type,
        _ fill: (Bool, V, UnsafeMutablePointer<C>) throws -> Void
    ) rethrows -> (Int, UnsafeMutablePointer<UnsafeMutablePointer<C>?>?) {
        try self.entries(values.sorted { !$0.key && $1.key }, as: type, fill)
    }

    private func entries<K, V, C>(
        _ sorted: [(key: K, value: V)],
        as type: C.Type,
        _ fill: (K, V, UnsafeMutablePointer<C>) throws -> Void
    ) rethrows -> (Int, UnsafeMutablePointer<UnsafeMutablePointer<C>?>?) {
        try self.repeated(sorted) { element in
            let entry = self.allocate(type)
            try fill(element.key, element.value, entry)
            return Optional(entry)
        }
    }
}
