internal import GRPCCore

/// One unary call on a transport's stream, in the calling task: the request is written, then the
/// response read (a large request is written alongside, by a child task). The responses and errors
/// are those GRPCCore's client executor gives a call with no interceptors or execution policy (its
/// `ClientStreamExecutor`, `ClientResponse(stream:)` and deadline), word for word. A call whose
/// deadline passes throws ``CallDeadline/error``, without its response handler when the deadline
/// passed first; one that passes while the handler runs does not cancel it.
struct DirectUnaryCall<Deserializer: MessageDeserializer>: Sendable where Deserializer.Message: Sendable {
    let deserializer: Deserializer
    /// Larger requests are written alongside the read (the transport's
    /// ``DirectCallTransport/largestInlineRequest``).
    let largestInlineRequest: Int

    typealias Response = ClientResponse<Deserializer.Message>

    func run<Transport: ClientTransport, ReturnValue: Sendable>(
        _ metadata: Metadata,
        message: Transport.Bytes,
        descriptor: MethodDescriptor,
        options: CallOptions,
        on transport: Transport,
        onResponse handleResponse: @Sendable @escaping (Response) async throws -> ReturnValue
    ) async throws -> ReturnValue {
        if message.count <= self.largestInlineRequest {
            let result = try await transport.withStream(descriptor: descriptor, options: options) { stream, _ in
                await DirectCallParts.write(metadata, message, to: stream.outbound)
                return await self.respond(reading: stream.inbound, handleResponse)
            }
            return try result.get()
        }
        // A larger request is written by a child task while the response is read, as GRPCCore
        // writes every request: a server may answer (say, that it is too large) before reading it
        // all. The task outlives the stream, whose end fails a write still waiting for window.
        let result = await withTaskGroup(of: Void.self, returning: Result<ReturnValue, any Error>.self) { group in
            do {
                return try await transport.withStream(descriptor: descriptor, options: options) { stream, _ in
                    group.addTask { await DirectCallParts.write(metadata, message, to: stream.outbound) }
                    let result = await self.respond(reading: stream.inbound, handleResponse)
                    group.cancelAll()
                    return result
                }
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    /// The call with a deadline, which `transport` times.
    func run<Transport: DirectCallTransport, ReturnValue: Sendable>(
        _ metadata: Metadata,
        message: Transport.Bytes,
        descriptor: MethodDescriptor,
        options: CallOptions,
        on transport: Transport,
        deadline: CallDeadline,
        onResponse handleResponse: @Sendable @escaping (Response) async throws -> ReturnValue
    ) async throws -> ReturnValue {
        var timed = metadata
        // As GRPCCore sends it: the time left when the request goes out.
        timed.replaceOrAddString(deadline.grpcTimeout, forKey: "grpc-timeout")
        let metadata = timed
        let result: Result<ReturnValue, any Error>
        do {
            if message.count <= self.largestInlineRequest {
                result = try await transport.withStream(descriptor: descriptor, options: options, deadline: deadline) {
                    stream, _ in
                    await DirectCallParts.write(metadata, message, to: stream.outbound)
                    return await self.respond(reading: stream.inbound, before: deadline, handleResponse)
                }
            } else {
                // Written alongside the read, as above.
                result = await withTaskGroup(of: Void.self, returning: Result<ReturnValue, any Error>.self) { group in
                    do {
                        return try await transport.withStream(
                            descriptor: descriptor, options: options, deadline: deadline
                        ) { stream, _ in
                            group.addTask { await DirectCallParts.write(metadata, message, to: stream.outbound) }
                            let result = await self.respond(reading: stream.inbound, before: deadline, handleResponse)
                            group.cancelAll()
                            return result
                        }
                    } catch {
                        return .failure(error)
                    }
                }
            }
        } catch  where deadline.hasPassed {
            throw CallDeadline.error
        }
        if deadline.hasPassed { throw CallDeadline.error }
        return try result.get()
    }

    private func respond<Bytes: GRPCContiguousBytes, ReturnValue: Sendable>(
        reading inbound: RPCAsyncSequence<RPCResponsePart<Bytes>, any Error>,
        before deadline: CallDeadline? = nil,
        _ handleResponse: @Sendable @escaping (Response) async throws -> ReturnValue
    ) async -> Result<ReturnValue, any Error> {
        let response = await self.read(inbound)
        if deadline?.hasPassed == true { return .failure(CallDeadline.error) }
        return await DirectCallParts.handled(response, by: handleResponse)
    }

    private func read<Bytes: GRPCContiguousBytes>(
        _ inbound: RPCAsyncSequence<RPCResponsePart<Bytes>, any Error>
    ) async -> Response {
        var parts = inbound.makeAsyncIterator()
        let metadata: Metadata
        switch await DirectCallParts.start(from: &parts) {
        case .metadata(let first): metadata = first
        case .status(let status, let trailers):
            return Response(error: RPCError(status: status, metadata: trailers) ?? DirectCallParts.noMessage)
        case .failed(let error): return Response(error: error)
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
                return Response(error: DirectCallParts.manyMessages)
            case (.trailingMetadata, .none, .none):
                return Response(error: DirectCallParts.noMessage)
            case (_, _, _):
                return Response(error: DirectCallParts.invalidStream(parts: "\([part1, part2, part3])"))
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
            throw DirectCallParts.moreMetadata(metadata)
        case .message(let bytes):
            return .message(try self.deserializer.deserialize(bytes))
        case .status(let status, let metadata):
            if let error = RPCError(status: status, metadata: metadata) { throw error }
            return .trailingMetadata(metadata)
        }
    }
}

/// A direct call's request and the start of its response, and what a response's parts can go
/// wrong with, in GRPCCore's words; apart from the calls so that each response type's copy of
/// them stays small.
enum DirectCallParts {
    /// What the call's response handler returns for `response`, or the error it throws.
    static func handled<Response, ReturnValue>(
        _ response: Response, by handleResponse: (Response) async throws -> ReturnValue
    ) async -> Result<ReturnValue, any Error> {
        do {
            return .success(try await handleResponse(response))
        } catch {
            return .failure(error)
        }
    }

    /// A call's one request message: its metadata, the message, the end.
    static func write<Bytes: GRPCContiguousBytes>(
        _ metadata: Metadata, _ message: Bytes, to outbound: RPCWriter<RPCRequestPart<Bytes>>.Closable
    ) async {
        do {
            try await outbound.write(.metadata(metadata))
            try await outbound.write(.message(message))
            await outbound.finish()
        } catch {
            await outbound.finish(throwing: Self.rpcError(error, otherwise: "Write failed."))
        }
    }

    /// How a response begins.
    enum Start {
        /// With metadata: the server took the call.
        case metadata(Metadata)
        /// With the status alone (a trailers-only response).
        case status(Status, Metadata)
        case failed(RPCError)
    }

    /// The response's first part.
    static func start<Bytes: GRPCContiguousBytes>(
        from parts: inout RPCAsyncSequence<RPCResponsePart<Bytes>, any Error>.AsyncIterator
    ) async -> Start {
        do {
            switch try await parts.next() {
            case .metadata(let metadata):
                return .metadata(metadata)
            case .status(let status, let trailers):
                return .status(status, trailers)
            case .message:
                return .failed(Self.messageFirst)
            case .none:
                if Task.isCancelled { throw CancellationError() }
                return .failed(Self.emptyStream)
            }
        } catch {
            let unexpected = RPCError(code: .unknown, message: "The transport threw an unexpected error.", cause: error)
            return .failed(error as? RPCError ?? unexpected)
        }
    }

    static func rpcError(_ error: any Error, otherwise message: String) -> RPCError {
        if let error = error as? RPCError { return error }
        if let error = error as? any RPCErrorConvertible { return RPCError(error) }
        return RPCError(code: .unknown, message: message, cause: error)
    }

    static var noMessage: RPCError {
        RPCError(code: .unimplemented, message: "No messages received, exactly one was expected.")
    }

    static var manyMessages: RPCError {
        RPCError(
            code: .unimplemented,
            message: """
                Multiple messages received, but only one is expected. The server may have \
                incorrectly implemented the RPC or the client and server may have a different \
                opinion on whether this RPC streams responses.
                """
        )
    }

    static var messageFirst: RPCError {
        RPCError(
            code: .internalError,
            message: """
                Invalid stream. The transport returned a message as the first element in the \
                stream, expected metadata. This is likely to be a transport-specific bug.
                """
        )
    }

    static var emptyStream: RPCError {
        RPCError(
            code: .internalError,
            message: """
                Invalid stream. The transport returned an empty stream. This is likely to be \
                a transport-specific bug.
                """
        )
    }

    static func moreMetadata(_ metadata: Metadata) -> RPCError {
        RPCError(
            code: .internalError,
            message: """
                Received multiple sets of metadata from the transport. This is likely to be a \
                transport specific bug. Metadata received: '\(metadata)'.
                """
        )
    }

    static func invalidStream(parts: String) -> RPCError {
        RPCError(
            code: .internalError,
            message: """
                The stream from the client transport is invalid. This is likely to be an incorrectly \
                implemented transport. Received parts: \(parts)."
                """
        )
    }
}
