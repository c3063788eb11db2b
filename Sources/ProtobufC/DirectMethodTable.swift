public import GRPCCore

/// A service whose methods Plugboard's server can run straight from the connection, past
/// GRPCCore's per-call executor (its request and response sequence adapters, `Result` wrapping
/// and interceptor chain). The code `protoc-gen-plugboard` generates conforms every service's
/// `StreamingServiceProtocol` to it; a service the host calls through GRPCCore still works the
/// same, since the methods it registers here are the ones it registers with an `RPCRouter`.
public protocol DirectlyRegistrableService: RegistrableRPCService {
    /// Registers the service's methods, as `registerMethods(with:)` registers them with a router.
    func registerDirectMethods(with table: inout DirectMethodTable)
}

/// The methods a server runs directly, by `:path` (`/package.Service/Method`).
public struct DirectMethodTable: Sendable {
    private var handlers: [String: DirectMethodHandler] = [:]

    public init() {}

    /// Registers `handler` for `method`, replacing an earlier registration, as
    /// `RPCRouter.registerHandler` does.
    public mutating func registerHandler<Input: Sendable, Output: Sendable>(
        forMethod method: MethodDescriptor,
        deserializer: some MessageDeserializer<Input>,
        serializer: some MessageSerializer<Output>,
        handler:
            @escaping @Sendable (StreamingServerRequest<Input>, ServerContext) async throws ->
            StreamingServerResponse<Output>
    ) {
        let typed = TypedDirectMethod(deserializer: deserializer, serializer: serializer, handler: handler)
        // Made here, where the message types are known, the closure's call is specialized for them.
        self.handlers["/" + method.fullyQualifiedMethod] = DirectMethodHandler { stream, metadata, context in
            await typed.run(on: stream, metadata: metadata, context: context)
        }
    }

    /// Removes the handler for `method`, if there is one.
    public mutating func removeHandler(forMethod method: MethodDescriptor) {
        self.handlers["/" + method.fullyQualifiedMethod] = nil
    }

    /// The handler for `path`, if one is registered.
    package func handler(forPath path: String) -> DirectMethodHandler? { self.handlers[path] }
}

/// One call's stream as a direct method sees it: the request messages after the metadata, and
/// the response parts. Its methods take the message types, not the stream's bytes type, so that
/// a direct method's code depends on its message types alone and is specialized for them where it
/// is registered (``DirectMethodTable/registerHandler(forMethod:deserializer:serializer:handler:)``);
/// run through a protocol's witness, generic over the stream, it looked up the metadata of every
/// type it made on every call (its message sequence and writer, their existential boxes): about 4%
/// of a plugin's CPU under load.
package protocol DirectCallStream: Sendable {
    /// The next request message, deserialized; `nil` once the client finished sending.
    nonisolated(nonsending) func nextMessage<Deserializer: MessageDeserializer>(
        _ deserializer: Deserializer
    ) async throws -> Deserializer.Message?
    /// The response metadata, which goes before any message.
    nonisolated(nonsending) func writeMetadata(_ metadata: Metadata) async throws
    /// A response message, serialized.
    nonisolated(nonsending) func writeMessage<Serializer: MessageSerializer>(
        _ message: Serializer.Message, _ serializer: Serializer
    ) async throws
    /// The call's status and trailers, its last part.
    nonisolated(nonsending) func writeStatus(_ status: Status, trailers: Metadata) async throws
}

/// A registered method, its types erased.
package struct DirectMethodHandler: Sendable {
    private let call: @Sendable (any DirectCallStream, Metadata, ServerContext) async -> RPCError?

    fileprivate init(_ call: @escaping @Sendable (any DirectCallStream, Metadata, ServerContext) async -> RPCError?) {
        self.call = call
    }

    /// Runs one call whose request metadata has arrived, and writes its response parts up to
    /// and including the status: what GRPCCore's server executor does for a call with no
    /// interceptors, with the same statuses. Returns the error the call ended with, if any.
    package func run(on stream: any DirectCallStream, metadata: Metadata, context: ServerContext) async -> RPCError? {
        await self.call(stream, metadata, context)
    }
}

private struct TypedDirectMethod<Input: Sendable, Output: Sendable, Deserializer, Serializer>: Sendable
where Deserializer: MessageDeserializer<Input>, Serializer: MessageSerializer<Output> {
    let deserializer: Deserializer
    let serializer: Serializer
    let handler:
        @Sendable (StreamingServerRequest<Input>, ServerContext) async throws -> StreamingServerResponse<Output>

    func run(on stream: any DirectCallStream, metadata: Metadata, context: ServerContext) async -> RPCError? {
        let messages = DirectRequestMessages(stream: stream, deserializer: self.deserializer)
        let request = StreamingServerRequest(metadata: metadata, messages: RPCAsyncSequence(wrapping: messages))
        let outcome: Result<Metadata, RPCError>
        do {
            switch try await self.handler(request, context).accepted {
            case .failure(let error):
                outcome = .failure(error)
            case .success(let contents):
                do {
                    try await stream.writeMetadata(contents.metadata)
                    let writer = DirectResponseWriter(stream: stream, serializer: self.serializer)
                    outcome = .success(try await contents.producer(RPCWriter(wrapping: writer)))
                } catch {
                    outcome = .failure(RPCError(converting: error, unknownMessage: ""))
                }
            }
        } catch {
            outcome = .failure(RPCError(converting: error, unknownMessage: "Service method threw an unknown error."))
        }
        switch outcome {
        case .success(let trailers):
            try? await stream.writeStatus(Status(code: .ok, message: ""), trailers: trailers)
            return nil
        case .failure(let error):
            try? await stream.writeStatus(
                Status(code: Status.Code(error.code), message: error.message), trailers: error.metadata)
            return error
        }
    }
}

extension RPCError {
    /// `error` as the status it ends a call with, as GRPCCore's executors convert it.
    fileprivate init(converting error: any Error, unknownMessage: String) {
        if let error = error as? RPCError {
            self = error
        } else if let convertible = error as? any RPCErrorConvertible {
            self = RPCError(convertible)
        } else {
            self = RPCError(code: .unknown, message: unknownMessage, cause: error)
        }
    }
}

/// The request messages of a direct call, deserialized as they are read.
private struct DirectRequestMessages<Deserializer: MessageDeserializer>: AsyncSequence, Sendable {
    let stream: any DirectCallStream
    let deserializer: Deserializer

    func makeAsyncIterator() -> Iterator { Iterator(stream: self.stream, deserializer: self.deserializer) }

    struct Iterator: AsyncIteratorProtocol {
        let stream: any DirectCallStream
        let deserializer: Deserializer

        mutating func next() async throws -> Deserializer.Message? {
            try await self.next(isolation: nil)
        }

        mutating func next(isolation actor: isolated (any Actor)?) async throws -> Deserializer.Message? {
            try await self.stream.nextMessage(self.deserializer)
        }
    }
}

/// Serializes a direct call's response messages onto its stream.
private struct DirectResponseWriter<Serializer: MessageSerializer>: RPCWriterProtocol {
    let stream: any DirectCallStream
    let serializer: Serializer

    func write(_ element: Serializer.Message) async throws {
        try await self.stream.writeMessage(element, self.serializer)
    }

    func write(contentsOf elements: some Sequence<Serializer.Message>) async throws {
        for element in elements { try await self.write(element) }
    }
}
