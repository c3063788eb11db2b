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
    /// The next response part `next` reads, or, when it throws an `RPCError` or the part is a
    /// non-OK status (which `status` finds in a part), that error explained. A non-OK status ends
    /// the call as GRPCCore would end it, with this error.
    func nextPart<Part>(
        calling method: MethodDescriptor, status: (Part) -> (Status, Metadata)?, _ next: () async throws -> Part?
    ) async throws -> Part? {
        let part: Part?
        do {
            part = try await next()
        } catch let error as RPCError {
            throw await self.explain(error, calling: method)
        }
        if let part, let (status, metadata) = status(part), let error = RPCError(status: status, metadata: metadata) {
            throw await self.explain(error, calling: method)
        }
        return part
    }
}
