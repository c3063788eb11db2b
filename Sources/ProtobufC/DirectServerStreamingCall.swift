internal import GRPCCore

/// One server-streaming call on a transport's stream, in the calling task: the request is
/// written, then the response handler reads the messages straight from the stream, with no task
/// group, writer task or GRPCCore sequence adapters between them. The response and its errors are
/// those GRPCCore's client executor gives (its `ClientStreamExecutor`), word for word; a handler
/// that returns before the stream ends resets it, as GRPCCore's does.
struct DirectServerStreamingCall<Deserializer: MessageDeserializer>: Sendable where Deserializer.Message: Sendable {
    let deserializer: Deserializer

    typealias Response = StreamingClientResponse<Deserializer.Message>

    /// Makes the call; `message` must be no larger than the transport's
    /// ``DirectCallTransport/largestInlineRequest`` (it is written before the response is read).
    func run<Transport: ClientTransport, ReturnValue: Sendable>(
        _ metadata: Metadata,
        message: Transport.Bytes,
        descriptor: MethodDescriptor,
        options: CallOptions,
        on transport: Transport,
        onResponse handleResponse: @Sendable @escaping (Response) async throws -> ReturnValue
    ) async throws -> ReturnValue {
        let result = try await transport.withStream(descriptor: descriptor, options: options) { stream, _ in
            await DirectCallParts.write(metadata, message, to: stream.outbound)
            return await DirectCallParts.handled(await self.response(reading: stream.inbound), by: handleResponse)
        }
        return try result.get()
    }

    private func response<Bytes: GRPCContiguousBytes & Sendable>(
        reading inbound: RPCAsyncSequence<RPCResponsePart<Bytes>, any Error>
    ) async -> Response {
        var parts = inbound.makeAsyncIterator()
        switch await DirectCallParts.start(from: &parts) {
        case .metadata(let metadata):
            // The reader's code is specialized here, where its types are known; the sequence
            // around it is called through RPCAsyncSequence's existential, where it is not.
            let reader = BodyPartReader(parts: parts, deserializer: self.deserializer)
            let body = DirectBodyParts<Deserializer.Message> { actor in try await reader.next(isolation: actor) }
            return Response(metadata: metadata, bodyParts: RPCAsyncSequence(wrapping: body))
        case .status(let status, let trailers):
            if let error = RPCError(status: status, metadata: trailers) { return Response(error: error) }
            return Response(metadata: [:], bodyParts: RPCAsyncSequence(wrapping: TrailersOnly(trailers: trailers)))
        case .failed(let error):
            return Response(error: error)
        }
    }
}

/// Reads a response's parts after its metadata: messages, deserialized, then the trailers, or the
/// error the status or a part makes. Its call's handler reads it from one task at a time.
private final class BodyPartReader<Deserializer: MessageDeserializer, Bytes: GRPCContiguousBytes & Sendable>:
    @unchecked Sendable
where Deserializer.Message: Sendable {
    private var parts: RPCAsyncSequence<RPCResponsePart<Bytes>, any Error>.AsyncIterator
    private let deserializer: Deserializer

    init(parts: RPCAsyncSequence<RPCResponsePart<Bytes>, any Error>.AsyncIterator, deserializer: Deserializer) {
        self.parts = parts
        self.deserializer = deserializer
    }

    func next(
        isolation actor: isolated (any Actor)?
    ) async throws -> StreamingClientResponse<Deserializer.Message>.Contents.BodyPart? {
        switch try await self.parts.next(isolation: actor) {
        case .none:
            return nil
        case .metadata(let metadata):
            throw DirectCallParts.moreMetadata(metadata)
        case .message(let bytes):
            return .message(try self.deserializer.deserialize(bytes))
        case .status(let status, let metadata):
            if let error = RPCError(status: status, metadata: metadata) { throw error }
            return .trailingMetadata(metadata)
        }
    }
}

/// A response's body parts, as its ``BodyPartReader`` reads them.
private struct DirectBodyParts<Message: Sendable>: AsyncSequence, Sendable {
    typealias Element = StreamingClientResponse<Message>.Contents.BodyPart

    let read: @Sendable (isolated (any Actor)?) async throws -> Element?

    func makeAsyncIterator() -> Iterator {
        Iterator(read: self.read)
    }

    struct Iterator: AsyncIteratorProtocol {
        let read: @Sendable (isolated (any Actor)?) async throws -> Element?

        mutating func next(isolation actor: isolated (any Actor)?) async throws(any Error) -> Element? {
            try await self.read(actor)
        }

        mutating func next() async throws -> Element? {
            try await self.read(nil)
        }
    }
}

/// The body of a trailers-only response that succeeded: its trailers.
private struct TrailersOnly<Message: Sendable>: AsyncSequence, Sendable {
    typealias Element = StreamingClientResponse<Message>.Contents.BodyPart

    let trailers: Metadata

    func makeAsyncIterator() -> Iterator {
        Iterator(trailers: self.trailers)
    }

    struct Iterator: AsyncIteratorProtocol {
        var trailers: Metadata?

        mutating func next() async throws -> Element? {
            defer { self.trailers = nil }
            return self.trailers.map { .trailingMetadata($0) }
        }
    }
}
