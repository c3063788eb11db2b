/// A protobuf message whose bytes are encoded and decoded by libprotobuf-c.
///
/// `protoc-gen-plugboard` conforms every generated message to this protocol. The underscored
/// requirements bridge to the protoc-c struct of the message; they are
/// `@_spi(ProtobufCGenerated)`, and only generated code implements them.
///
/// ```swift
/// let bytes = try request.serializedBytes()
/// let copy = try Plugboard_Test_V1_EchoRequest(serializedBytes: bytes)
/// ```
public protocol ProtobufMessage: Sendable, Hashable {
    /// The message's full protobuf name, such as `plugboard.test.v1.EchoRequest`.
    static var protoMessageName: String { get }

    /// Whether the message can contain itself, so that decoding first bounds the nesting depth.
    @_spi(ProtobufCGenerated)
    static var _protobufCIsRecursive: Bool { get }

    /// protoc-c's `ProtobufCMessageDescriptor` for the message.
    @_spi(ProtobufCGenerated)
    static var _protobufCDescriptor: UnsafeRawPointer { get }

    /// A message with every field at its default value.
    init()

    /// Copies an unpacked protoc-c struct of this message type into a Swift value.
    @_spi(ProtobufCGenerated)
    init(_protobufC message: UnsafeRawPointer)

    /// Writes this value into an initialized protoc-c struct, allocating everything from `arena`.
    @_spi(ProtobufCGenerated)
    func _protobufCFill(_ message: UnsafeMutableRawPointer, arena: ProtobufCArena) throws
}

extension ProtobufMessage {
    @_spi(ProtobufCGenerated)
    public static var _protobufCIsRecursive: Bool { false }

    /// Creates a message and sets its fields in `populate`:
    /// `let request = EchoRequest.with { $0.text = "hello" }`.
    public static func with(_ populate: (inout Self) throws -> Void) rethrows -> Self {
        var message = Self()
        try populate(&message)
        return message
    }
}
