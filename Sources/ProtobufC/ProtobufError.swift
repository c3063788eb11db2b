/// An error from encoding or decoding a protobuf message.
///
/// The `message` says which message type failed, what was wrong, and what to check.
public struct ProtobufError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What kind of failure this is; compare codes, not message text.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Wrapped: Hashable, Sendable {
            case decodingFailed, nestingTooDeep, encodingFailed
        }

        private let wrapped: Wrapped

        private init(_ wrapped: Wrapped) { self.wrapped = wrapped }

        /// The bytes are not a valid encoding of the message type.
        public static let decodingFailed = Code(.decodingFailed)
        /// The bytes nest messages deeper than the decoder allows.
        public static let nestingTooDeep = Code(.nestingTooDeep)
        /// The value cannot be encoded (for example, a string holding a NUL character).
        public static let encodingFailed = Code(.encodingFailed)

        public var description: String { "\(self.wrapped)" }
    }

    /// What kind of failure this is.
    public var code: Code
    /// The full protobuf name of the message type, such as `plugboard.test.v1.EchoRequest`.
    public var messageType: String
    /// What happened and what to do about it.
    public var message: String

    public init(code: Code, messageType: String, message: String) {
        self.code = code
        self.messageType = messageType
        self.message = message
    }

    public var description: String { "\(self.code): \(self.message)" }
}
