public import GRPCCore
public import Logging
import Tracing

/// What a plugin's handler knows about the call it serves, as task-locals.
public enum PluginCall {
    /// The host's request id for this call (``CallMetadata/requestIDKey``), `nil` when the caller
    /// sent none; the host's log lines for the call carry the same id.
    @TaskLocal public static var requestID: String?
}

/// The plugin side of ``CallObserver``: binds the host's request id (``PluginCall/requestID``),
/// continues the host's trace with a server span per call (so the handler's spans are children
/// of the host's call), and logs each call's end at debug with its id and duration. Uses
/// `InstrumentationSystem.tracer`, which is a no-op until the plugin bootstraps one.
public struct CallContinuation: ServerInterceptor {
    private let logger: Logger

    public init(logger: Logger) {
        self.logger = logger
    }

    public func intercept<Input: Sendable, Output: Sendable>(
        request: StreamingServerRequest<Input>,
        context: ServerContext,
        next: (StreamingServerRequest<Input>, ServerContext) async throws -> StreamingServerResponse<Output>
    ) async throws -> StreamingServerResponse<Output> {
        let method = context.descriptor.fullyQualifiedMethod
        let requestID = MetadataExtractor().extract(key: CallMetadata.requestIDKey, from: request.metadata)
        let tracer = InstrumentationSystem.tracer
        var parent = InstrumentationContext.current ?? .topLevel
        tracer.extract(request.metadata, into: &parent, using: MetadataExtractor())
        let span = tracer.startSpan(method, context: parent, ofKind: .server)
        span.attributes["rpc.system"] = "grpc"
        if let requestID { span.attributes["plugboard.request_id"] = requestID }
        let started = ContinuousClock.now
        let logger = self.logger
        @Sendable func end(_ error: (any Error)?) {
            if let error {
                span.recordError(error)
                span.setStatus(SpanStatus(code: .error))
            }
            span.end()
            let code = error.map { "\(($0 as? RPCError)?.code ?? .unknown)" } ?? "ok"
            logger.debug(
                "call served",
                metadata: [
                    "rpc.method": "\(method)", "rpc.request_id": "\(requestID ?? "none")", "rpc.code": "\(code)",
                    "rpc.duration_ms": "\((ContinuousClock.now - started).milliseconds)",
                ])
        }
        // Unary handlers run inside `next`; streaming ones in the response's producer, later.
        func inCall<T>(_ body: () async throws -> T) async throws -> T {
            try await InstrumentationContext.withValue(span.context) {
                try await PluginCall.$requestID.withValue(requestID) { try await body() }
            }
        }
        var response: StreamingServerResponse<Output>
        do {
            response = try await inCall { try await next(request, context) }
        } catch {
            end(error)
            throw error
        }
        switch response.accepted {
        case .failure(let error):
            end(error)
        case .success(var contents):
            let producer = contents.producer
            contents.producer = { writer in
                do {
                    let trailers = try await InstrumentationContext.withValue(span.context) {
                        try await PluginCall.$requestID.withValue(requestID) { try await producer(writer) }
                    }
                    end(nil)
                    return trailers
                } catch {
                    end(error)
                    throw error
                }
            }
            response.accepted = .success(contents)
        }
        return response
    }
}
