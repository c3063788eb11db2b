import GRPCCore
import PlugboardCore

/// Explains failed calls in the plugin's terms:
/// - UNIMPLEMENTED names the plugin and the method (usually a plugin whose `--describe` claims a
///   service set it does not serve);
/// - a call that fails because the plugin process died says so, with how it ended (exit status or
///   signal) and its last stderr lines, instead of a bare transport error.
struct PluginCallInterceptor: ClientInterceptor {
    let plugin: String
    let path: String
    /// The process behind a call's connection (a supervisor's changes across restarts), found by
    /// the call's `remotePeer`.
    let process: @Sendable (ClientContext) -> PluginProcess?

    func intercept<Input: Sendable, Output: Sendable>(
        request: StreamingClientRequest<Input>,
        context: ClientContext,
        next: (StreamingClientRequest<Input>, ClientContext) async throws -> StreamingClientResponse<Output>
    ) async throws -> StreamingClientResponse<Output> {
        let method = context.descriptor.fullyQualifiedMethod
        var response = try await next(request, context)
        switch response.accepted {
        case .failure(let error):
            response.accepted = .failure(await self.explain(error, method: method, context: context))
        case .success(var contents):
            let parts = contents.bodyParts
            contents.bodyParts = RPCAsyncSequence(
                wrapping: ErrorMappingSequence(base: parts) { error in
                    guard let error = error as? RPCError else { return error }
                    return await self.explain(error, method: method, context: context)
                })
            response.accepted = .success(contents)
        }
        return response
    }

    /// Looks the process up only for a failed call, so successful calls pay nothing for it.
    private func explain(_ error: RPCError, method: String, context: ClientContext) async -> RPCError {
        if error.code == .unimplemented {
            return RPCError(
                code: .unimplemented,
                message:
                    "plugin \"\(self.plugin)\" (\(self.path)) does not implement \(method): \(error.message). Check that the plugin serves the service sets its --describe output claims, and rebuild it.",
                cause: error)
        }
        // A lost connection (UNAVAILABLE) is how a dying plugin usually shows: give the reaper a
        // moment to see the exit. Other codes come from live plugins or from the caller (a handler
        // error, a cancellation), so they must not wait; an exit already seen still explains them.
        guard [.unavailable, .unknown, .internalError, .cancelled].contains(error.code),
            let process = self.process(context)
        else { return error }
        let seen = process.handle.hasEnded
        let ended =
            error.code == .unavailable && !seen ? await process.handle.waitForEnd(timeout: .milliseconds(250)) : seen
        guard ended else { return error }
        var failure = process.handle.endedError(during: method).withContext(
            pluginName: self.plugin, executablePath: self.path, pid: process.handle.pid)
        failure.stderrTail = process.stderr.tail
        failure.cause = error
        return RPCError(code: .unavailable, message: "\(failure)", cause: failure)
    }
}

/// Passes elements through and maps the error that ends the sequence.
struct ErrorMappingSequence<Base: AsyncSequence & Sendable>: AsyncSequence, Sendable where Base.Element: Sendable {
    typealias Element = Base.Element
    let base: Base
    let transform: @Sendable (any Error) async -> any Error

    struct AsyncIterator: AsyncIteratorProtocol {
        var base: Base.AsyncIterator
        let transform: @Sendable (any Error) async -> any Error

        mutating func next() async throws -> Element? {
            do { return try await self.base.next() } catch { throw await self.transform(error) }
        }
    }

    func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(base: self.base.makeAsyncIterator(), transform: self.transform)
    }
}
