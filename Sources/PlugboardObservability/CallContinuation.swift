public import GRPCCore
public import Logging
import PlugboardCore
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
/// `InstrumentationSystem.tracer` as it is when the continuation is made (a plugin's server makes
/// it as it starts: bootstrap a tracer before that), or none when that is the no-op one.
public struct CallContinuation: ServerInterceptor {
    private let logger: Logger
    /// `nil` while the tracer is the no-op one, so an untraced plugin pays nothing for spans.
    private let tracer: (any Tracer)?

    public init(logger: Logger) {
        self.logger = logger
        self.tracer = InstrumentationSystem.bootstrappedTracer
    }

    public func intercept<Input: Sendable, Output: Sendable>(
        request: StreamingServerRequest<Input>,
        context: ServerContext,
        next: (StreamingServerRequest<Input>, ServerContext) async throws -> StreamingServerResponse<Output>
    ) async throws -> StreamingServerResponse<Output> {
        let call = ServedCall(
            request.metadata, descriptor: context.descriptor, tracer: self.tracer, logger: self.logger)
        // Unary handlers run inside `next`; streaming ones in the response's producer, later.
        var response: StreamingServerResponse<Output>
        do {
            response = try await call.run { try await next(request, context) }
        } catch {
            call.end(error)
            throw error
        }
        switch response.accepted {
        case .failure(let error):
            call.end(error)
        case .success(var contents):
            let producer = contents.producer
            contents.producer = { writer in
                do {
                    let trailers = try await call.run { try await producer(writer) }
                    call.end(nil)
                    return trailers
                } catch {
                    call.end(error)
                    throw error
                }
            }
            response.accepted = .success(contents)
        }
        return response
    }
}

extension CallContinuation {
    /// Does for a call the transport runs itself, past the server's interceptors, what
    /// ``intercept(request:context:next:)`` does: `body` runs with the call's request id and span,
    /// and returns the error the call ended with, if any.
    package func continueCall(
        _ descriptor: MethodDescriptor, metadata: Metadata, _ body: () async -> RPCError?
    ) async {
        let call = ServedCall(metadata, descriptor: descriptor, tracer: self.tracer, logger: self.logger)
        let error = try? await call.run { await body() }
        call.end(error ?? nil)
    }
}

/// One call a plugin serves: its request id, its server span (none while the tracer is the
/// no-op one, so an untraced plugin pays nothing for spans) and its start, for the log line.
private struct ServedCall: Sendable {
    let descriptor: MethodDescriptor
    let requestID: String?
    let span: (any Span)?
    let logger: Logger
    let started: ContinuousClock.Instant?

    init(_ metadata: Metadata, descriptor: MethodDescriptor, tracer: (any Tracer)?, logger: Logger) {
        self.descriptor = descriptor
        self.requestID = MetadataExtractor().extract(key: CallMetadata.requestIDKey, from: metadata)
        self.logger = logger
        self.started = logger.logLevel <= .debug ? .now : nil
        guard let tracer else {
            self.span = nil
            return
        }
        var parent = InstrumentationContext.current ?? .topLevel
        tracer.extract(metadata, into: &parent, using: MetadataExtractor())
        let span = tracer.startSpan(descriptor.fullyQualifiedMethod, context: parent, ofKind: .server)
        span.attributes["rpc.system"] = "grpc"
        if let requestID = self.requestID { span.attributes["plugboard.request_id"] = requestID }
        self.span = span
    }

    /// Runs `body` with the call's span as the current context and its request id bound.
    func run<T>(_ body: () async throws -> T) async throws -> T {
        guard let span = self.span else {
            // A caller that sends no id (a go-plugin host, say) leaves nothing to bind, unless an
            // id is bound around this call already; binding one costs a task-local push and pop.
            if self.requestID == nil && PluginCall.requestID == nil { return try await body() }
            return try await PluginCall.$requestID.withValue(self.requestID) { try await body() }
        }
        return try await InstrumentationContext.withValue(span.context) {
            try await PluginCall.$requestID.withValue(self.requestID) { try await body() }
        }
    }

    func end(_ error: (any Error)?) {
        if let span = self.span {
            if let error {
                span.recordError(error)
                span.setStatus(SpanStatus(code: .error))
            }
            span.end()
        }
        guard let started = self.started else { return }
        self.logger.debug(
            "call served",
            metadata: [
                "rpc.method": "\(self.descriptor.fullyQualifiedMethod)",
                "rpc.request_id": "\(self.requestID ?? "none")",
                "rpc.code": "\(CallMetadata.statusCodeName(error))",
                "rpc.duration_ms": "\((ContinuousClock.now - started).milliseconds)",
            ])
    }
}
