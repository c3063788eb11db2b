internal import GRPCCore

/// One unary call on a transport's stream, in the calling task: the request is written, then
/// the response read (so the request must be small enough that writing it cannot wait on the
/// server: see ``DirectClient``). The responses and errors are those GRPCCore's client executor gives a call
/// with no interceptors, timeout or execution policy (its `ClientStreamExecutor` and
/// `ClientResponse(stream:)`), word for word.
struct DirectUnaryCall<Deserializer: MessageDeserializer>: Sendable where Deserializer.Message: Sendable {
    let deserializer: Deserializer

    typealias Response = ClientResponse<Deserializer.Message>

    func run<Transport: ClientTransport, ReturnValue: Sendable>(
        _ metadata: Metadata,
        message: Transport.Bytes,
        descriptor: MethodDescriptor,
        options: CallOptions,
        on transport: Transport,
        onResponse handleResponse: @Sendable @escaping (Response) async throws -> ReturnValue
    ) async throws -> ReturnValue {
        let result = try await transport.withStream(descriptor: descriptor, options: options) { stream, _ in
            do {
                try await stream.outbound.write(.metadata(metadata))
                try await stream.outbound.write(.message(message))
                await stream.outbound.finish()
            } catch {
                await stream.outbound.finish(throwing: Self.rpcError(error, otherwise: "Write failed."))
            }
            return await self.respond(reading: stream.inbound, handleResponse)
        }
        return try result.get()
    }

    private func respond<Bytes: GRPCContiguousBytes, ReturnValue: Sendable>(
        reading inbound: RPCAsyncSequence<RPCResponsePart<Bytes>, any Error>,
        _ handleResponse: @Sendable @escaping (Response) async throws -> ReturnValue
    ) async -> Result<ReturnValue, any Error> {
        let response = await self.read(inbound)
        do {
            return .success(try await handleResponse(response))
        } catch {
            return .failure(error)
        }
    }

    private func read<Bytes: GRPCContiguousBytes>(
        _ inbound: RPCAsyncSequence<RPCResponsePart<Bytes>, any Error>
    ) async -> Response {
        var parts = inbound.makeAsyncIterator()
        let metadata: Metadata
        do {
            switch try await parts.next() {
            case .metadata(let first):
                metadata = first
            case .status(let status, let trailers):
                if let error = RPCError(status: status, metadata: trailers) { return Response(error: error) }
                return Response(error: RPCError(code: .unimplemented, message: Self.noMessage))
            case .message:
                return Response(error: RPCError(code: .internalError, message: Self.messageFirst))
            case .none:
                if Task.isCancelled { throw CancellationError() }
                return Response(error: RPCError(code: .internalError, message: Self.emptyStream))
            }
        } catch {
            let unexpected = RPCError(code: .unknown, message: "The transport threw an unexpected error.", cause: error)
            return Response(error: error as? RPCError ?? unexpected)
        }
        do {
            // Three parts, as GRPCCore reads them: a message, the trailers, the end.
            let part1 = try await self.bodyPart(parts.next())
            let part2 = try await self.bodyPart(parts.next())
            let part3 = try await self.bodyPart(parts.next())
            switch (part1, part2, part3) {
            case (.message(let message), .trailingMetadata(let trailers), .none):
                return Response(message: message, metadata: metadata, trailingMetadata: trailers)
            case (.message, .message, _):
                return Response(error: RPCError(code: .unimplemented, message: Self.manyMessages))
            case (.trailingMetadata, .none, .none):
                return Response(error: RPCError(code: .unimplemented, message: Self.noMessage))
            case (_, _, _):
                return Response(
                    error: RPCError(code: .internalError, message: Self.invalidStream([part1, part2, part3])))
            }
        } catch let error as RPCError {
            return Response(accepted: .success(.init(metadata: metadata, error: error)))
        } catch let error as any RPCErrorConvertible {
            return Response(accepted: .success(.init(metadata: metadata, error: RPCError(error))))
        } catch {
            return Response(error: RPCError(code: .unknown, message: String(describing: error)))
        }
    }

    private typealias BodyPart = StreamingClientResponse<Deserializer.Message>.Contents.BodyPart

    private func bodyPart<Bytes: GRPCContiguousBytes>(_ part: RPCResponsePart<Bytes>?) throws -> BodyPart? {
        switch part {
        case .none:
            return nil
        case .metadata(let metadata):
            throw RPCError(
                code: .internalError,
                message: """
                    Received multiple sets of metadata from the transport. This is likely to be a \
                    transport specific bug. Metadata received: '\(metadata)'.
                    """
            )
        case .message(let bytes):
            return .message(try self.deserializer.deserialize(bytes))
        case .status(let status, let metadata):
            if let error = RPCError(status: status, metadata: metadata) { throw error }
            return .trailingMetadata(metadata)
        }
    }

    private static func rpcError(_ error: any Error, otherwise message: String) -> RPCError {
        if let error = error as? RPCError { return error }
        if let error = error as? any RPCErrorConvertible { return RPCError(error) }
        return RPCError(code: .unknown, message: message, cause: error)
    }

    private static var noMessage: String { "No messages received, exactly one was expected." }
    private static var manyMessages: String {
        """
        Multiple messages received, but only one is expected. The server may have \
        incorrectly implemented the RPC or the client and server may have a different \
        opinion on whether this RPC streams responses.
        """
    }
    private static var messageFirst: String {
        """
        Invalid stream. The transport returned a message as the first element in the \
        stream, expected metadata. This is likely to be a transport-specific bug.
        """
    }
    private static var emptyStream: String {
        """
        Invalid stream. The transport returned an empty stream. This is likely to be \
        a transport-specific bug.
        """
    }
    private static func invalidStream(_ parts: [BodyPart?]) -> String {
        """
        The stream from the client transport is invalid. This is likely to be an incorrectly \
        implemented transport. Received parts: \(parts)."
        """
    }
}
