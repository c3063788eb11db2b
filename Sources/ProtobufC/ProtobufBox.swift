/// Immutable storage for a field whose message type can contain itself.
///
/// A Swift struct cannot hold an optional of its own type inline, so generated code keeps such
/// fields in a box; the box compares and hashes by value, so messages keep value semantics.
///
/// Only generated code uses it (`@_spi(ProtobufCGenerated) import ProtobufC`).
@_spi(ProtobufCGenerated)
public final class ProtobufBox<Value: Hashable & Sendable>: Hashable, Sendable {
    /// The boxed value.
    public let value: Value

    public init(_ value: Value) { self.value = value }

    public static func == (lhs: ProtobufBox, rhs: ProtobufBox) -> Bool { lhs.value == rhs.value }

    public func hash(into hasher: inout Hasher) { hasher.combine(self.value) }
}
