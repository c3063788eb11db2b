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
