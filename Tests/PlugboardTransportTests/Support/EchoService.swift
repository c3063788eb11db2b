import GRPCCore
import ProtobufC

/// Serializes `[UInt8]` messages as themselves.
struct IdentitySerializer: MessageSerializer {
    func serialize<Bytes: GRPCContiguousBytes>(_ message: [UInt8]) throws -> Bytes { Bytes(message) }
}

/// Deserializes messages into `[UInt8]` as they are.
struct IdentityDeserializer: MessageDeserializer {
    func deserialize<Bytes: GRPCContiguousBytes>(_ bytes: Bytes) throws -> [UInt8] {
        bytes.withUnsafeBytes { Array($0) }
    }
}

/// Where a service registers its handlers: GRPCCore's router, or the table of methods
/// Plugboard's server runs directly.
protocol HandlerRegistry {
    mutating func registerHandler<Input: Sendable, Output: Sendable>(
        forMethod method: MethodDescriptor,
        deserializer: some MessageDeserializer<Input>,
        serializer: some MessageSerializer<Output>,
        handler:
            @escaping @Sendable (StreamingServerRequest<Input>, ServerContext) async throws ->
            StreamingServerResponse<Output>
    )
}

extension RPCRouter: HandlerRegistry {}
extension DirectMethodTable: HandlerRegistry {}

/// A hand-written service over raw bytes, covering all four RPC kinds plus a call that hangs;
/// the same handlers run through GRPCCore's router or directly (``TransportPair/direct``).
struct EchoService: DirectlyRegistrableService {
    enum Method {
        static let service = ServiceDescriptor(package: "plugboard.test", service: "Echo")
        /// Unary: echoes the message and metadata; with `x-answer-malformed` in the request, its
        /// response metadata holds a value HTTP/2 forbids.
        static let get = MethodDescriptor(service: service, method: "Get")
        /// Client streaming: answers `[count, totalBytes]` as two big-endian UInt32s.
        static let collect = MethodDescriptor(service: service, method: "Collect")
        /// Server streaming: the request is `[count, size]` (UInt32s); sends `count` messages.
        static let expand = MethodDescriptor(service: service, method: "Expand")
        /// Bidirectional: echoes each message; a message `[0xFF]` makes it fail with CANCELLED.
        static let update = MethodDescriptor(service: service, method: "Update")
        /// Unary that never answers; reports cancellation through the probe.
        static let hang = MethodDescriptor(service: service, method: "Hang")
        /// Server streaming that fails with an error that is not an `RPCError`: before its
        /// response for a request `[0]`, while writing it for `[1]`.
        static let fail = MethodDescriptor(service: service, method: "Fail")
    }

    /// What `Fail` throws.
    struct PlainError: Error {}

    let probe: Probe

    func registerMethods<Transport: ServerTransport>(with router: inout RPCRouter<Transport>) {
        self.register(with: &router)
    }

    func registerDirectMethods(with table: inout DirectMethodTable) {
        self.register(with: &table)
    }

    private func register(with router: inout some HandlerRegistry) {
        let serializer = IdentitySerializer()
        let deserializer = IdentityDeserializer()
        let probe = self.probe

        router.registerHandler(forMethod: Method.get, deserializer: deserializer, serializer: serializer) {
            request, _ in
            probe.record(.getCalled)
            let single = try await ServerRequest(stream: request)
            var metadata = userMetadata(single.metadata)
            if single.metadata.contains(where: { $0.key == "x-answer-malformed" }) {
                metadata.addString("two\nlines", forKey: "x-answer")
            }
            return StreamingServerResponse(single: ServerResponse(message: single.message, metadata: metadata))
        }

        router.registerHandler(forMethod: Method.collect, deserializer: deserializer, serializer: serializer) {
            request, _ in
            var count: UInt32 = 0
            var bytes: UInt32 = 0
            for try await message in request.messages {
                count += 1
                bytes += UInt32(message.count)
            }
            return StreamingServerResponse(single: ServerResponse(message: encode(count, bytes)))
        }

        router.registerHandler(forMethod: Method.expand, deserializer: deserializer, serializer: serializer) {
            request, _ in
            let single = try await ServerRequest(stream: request)
            let (count, size) = decode(single.message)
            return StreamingServerResponse { writer in
                for index in 0..<count {
                    try await writer.write([UInt8](repeating: UInt8(truncatingIfNeeded: index), count: Int(size)))
                }
                return [:]
            }
        }

        router.registerHandler(forMethod: Method.update, deserializer: deserializer, serializer: serializer) {
            request, _ in
            StreamingServerResponse(metadata: userMetadata(request.metadata)) { writer in
                for try await message in request.messages {
                    if message == [0xFF] { throw RPCError(code: .cancelled, message: "server gave up") }
                    try await writer.write(message)
                }
                return [:]
            }
        }

        router.registerHandler(forMethod: Method.hang, deserializer: deserializer, serializer: serializer) {
            request, context in
            _ = try await ServerRequest(stream: request)
            probe.record(.hangStarted)
            try await withRPCCancellationHandler {
                while !context.cancellation.isCancelled && !Task.isCancelled {
                    try await Task.sleep(for: .milliseconds(5))
                }
            } onCancelRPC: {
                probe.record(.hangCancelled)
            }
            try Task.checkCancellation()
            return StreamingServerResponse(single: ServerResponse(message: []))
        }

        router.registerHandler(forMethod: Method.fail, deserializer: deserializer, serializer: serializer) {
            request, _ in
            let single = try await ServerRequest(stream: request)
            if single.message == [0] { throw PlainError() }
            return StreamingServerResponse { writer in
                try await writer.write([1])
                throw PlainError()
            }
        }
    }
}

func encode(_ first: UInt32, _ second: UInt32) -> [UInt8] {
    [first, second].flatMap { value in (0..<4).map { UInt8(truncatingIfNeeded: value >> (24 - 8 * $0)) } }
}

func decode(_ bytes: [UInt8]) -> (UInt32, UInt32) {
    func word(_ offset: Int) -> UInt32 {
        (0..<4).reduce(0) { $0 << 8 | UInt32(bytes[offset + $1]) }
    }
    return (word(0), word(4))
}

/// The `x-` entries of `metadata`: the stock server passes pseudo-headers through as metadata,
/// and echoing those back would make an invalid response.
func userMetadata(_ metadata: Metadata) -> Metadata {
    Metadata(metadata.filter { $0.key.hasPrefix("x-") })
}
