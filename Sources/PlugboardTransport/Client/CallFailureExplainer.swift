public import GRPCCore

/// Puts a failed call's error in the caller's terms, from inside the lean transport: the host
/// names the plugin behind an UNIMPLEMENTED method, and says how a plugin that died ended.
///
/// It sees every error a call's response stream throws and every non-OK status the server sends,
/// and only those: a call that succeeds pays nothing for it.
public protocol CallFailureExplainer: Sendable {
    /// The error the caller of `method` gets instead of `error` (which it may return as it is).
    func explain(_ error: RPCError, calling method: MethodDescriptor) async -> RPCError
}

extension CallFailureExplainer {
    /// The next response part of `stream`, or, when reading throws an `RPCError` or the part is
    /// a non-OK status, that error explained. A non-OK status ends the call as GRPCCore would end
    /// it, with this error. It runs where its caller runs, as ``StreamCore/nextPart()`` does.
    nonisolated(nonsending) func nextPart(of stream: StreamCore, calling method: MethodDescriptor) async throws
        -> InboundPart?
    {
        let part: InboundPart?
        do {
            part = try await stream.nextPart()
        } catch let error as RPCError {
            throw await self.explain(error, calling: method)
        }
        if let (status, metadata) = part?.statusAndTrailers, let error = RPCError(status: status, metadata: metadata) {
            throw await self.explain(error, calling: method)
        }
        return part
    }
}
