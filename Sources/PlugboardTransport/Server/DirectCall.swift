package import GRPCCore
internal import GRPCNIOTransportHTTP2Posix
internal import NIOCore
internal import PlugboardCore
package import ProtobufC

/// The methods a server runs straight from the connection (``DirectMethodTable``), past GRPCCore's
/// per-call executor, and what wraps each of those calls in place of the server's interceptors.
package struct DirectMethods: Sendable {
    /// Runs around one call's `body`, given the method and the request metadata; `body` returns
    /// the error the call ended with, if any.
    package typealias Wrapper = @Sendable (MethodDescriptor, Metadata, () async -> RPCError?) async -> Void

    package let table: DirectMethodTable
    let wrapper: Wrapper

    /// The methods of `services` to run directly: those of every `DirectlyRegistrableService` (all
    /// that `protoc-gen-plugboard` generates). As in `GRPCServer`'s router, a later registration
    /// of a method wins, so one that another kind of service registers later goes back to GRPCCore.
    package init(
        serving services: [any RegistrableRPCService],
        wrapper: @escaping Wrapper = { _, _, body in _ = await body() }
    ) {
        var table = DirectMethodTable()
        for service in services {
            if let service = service as? any DirectlyRegistrableService {
                service.registerDirectMethods(with: &table)
            } else {
                var router = RPCRouter<UnixSocketTransport.Server>()
                service.registerMethods(with: &router)
                router.methods.forEach { table.removeHandler(forMethod: $0) }
            }
        }
        self.table = table
        self.wrapper = wrapper
    }
}

extension UnixSocketTransport.Server {
    /// Runs one call of a direct method, whose stream the handler task owns: what GRPCCore's
    /// server executor does for it (the request metadata first, the `grpc-timeout` cancelling the
    /// call's context when it passes), with the transport's own reads and writes and no task of
    /// its own for the deadline (the connection's ``CallDeadlines``).
    static func runDirect(
        _ method: DirectMethodHandler,
        on core: StreamCore,
        context: ServerContext,
        wrapper: DirectMethods.Wrapper
    ) async {
        guard case .metadata(let metadata)? = try? await core.nextPart() else {
            let status = Status(code: .internalError, message: "The stream ended before its request metadata.")
            try? await core.write(.status(status, [:]))
            return
        }
        let deadline = metadata.grpcTimeout.map { timeout in
            core.connection.deadlines.add(at: .now.advanced(by: timeout)) { context.cancellation.cancel() }
        }
        await wrapper(context.descriptor, metadata) {
            await method.run(on: DirectServerStream(core: core), metadata: metadata, context: context)
        }
        deadline?.settle()
    }
}

/// A server stream as a direct method reads and writes it.
private struct DirectServerStream: DirectCallStream {
    let core: StreamCore

    nonisolated(nonsending) func nextMessage<Deserializer: MessageDeserializer>(
        _ deserializer: Deserializer
    ) async throws -> Deserializer.Message? {
        switch try await self.core.nextPart() {
        case .message(let bytes):
            return try deserializer.deserialize(bytes)
        case .metadata:
            throw RPCError(
                code: .internalError,
                message: """
                    Server received an extra set of metadata. Only one set of metadata may be received \
                    at the start of the RPC. This is likely to be caused by a misbehaving client.
                    """
            )
        case .status, nil:
            return nil
        }
    }

    nonisolated(nonsending) func writeMetadata(_ metadata: Metadata) async throws {
        try await self.core.write(.metadata(metadata))
    }

    nonisolated(nonsending) func writeMessage<Serializer: MessageSerializer>(
        _ message: Serializer.Message, _ serializer: Serializer
    ) async throws {
        let bytes: GRPCNIOTransportBytes = try serializer.serialize(message)
        try await self.core.write(.message(bytes))
    }

    nonisolated(nonsending) func writeStatus(_ status: Status, trailers: Metadata) async throws {
        try await self.core.write(.status(status, trailers))
    }
}
