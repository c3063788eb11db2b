import CoreMetrics
public import GRPCCore
public import Logging
import PlugboardCore
import Synchronization
import Tracing

/// Observes a host's calls to one plugin: gives each a request id (sent as
/// ``CallMetadata/requestIDKey`` and put on the call's log lines), a client span whose context
/// goes along in the metadata, per-method metrics, and the plugin's ``CallSummary``. Add it as
/// the first interceptor of the plugin's client, so it sees calls as the caller does.
///
/// go-plugin's own plumbing (the `plugin.*` stdio, broker and controller services) and health
/// checks pass through unobserved: the first two live as long as the plugin, and health checks
/// have their own histogram (``MetricName/healthCheckDuration``).
public struct CallObserver: ClientInterceptor {
    private let plugin: String
    private let observability: PluginObservability
    private let logger: Logger
    private let methods: MethodMetricsTable
    private let recorder = CallSummaryRecorder()

    /// - Parameters:
    ///   - plugin: the plugin's name, the `plugin` label of every metric.
    ///   - observability: where the metrics and spans go.
    ///   - logger: where each call's end is logged (at debug), with its request id and duration.
    public init(plugin: String, observability: PluginObservability, logger: Logger) {
        self.plugin = plugin
        self.observability = observability
        self.logger = logger
        self.methods = MethodMetricsTable(plugin: plugin, factory: observability.metrics)
    }

    /// The plugin's calls so far.
    public var summary: CallSummary { self.recorder.snapshot }

    public func intercept<Input: Sendable, Output: Sendable>(
        request: StreamingClientRequest<Input>,
        context: ClientContext,
        next: (StreamingClientRequest<Input>, ClientContext) async throws -> StreamingClientResponse<Output>
    ) async throws -> StreamingClientResponse<Output> {
        let service = context.descriptor.service.fullyQualifiedService
        guard self.observability.observesCalls, !service.hasPrefix("plugin."), service != "grpc.health.v1.Health" else {
            return try await next(request, context)
        }
        let metrics = self.methods[context.descriptor]
        let requestID = CallMetadata.newRequestID()
        var request = request
        request.metadata.replaceOrAddString(requestID, forKey: CallMetadata.requestIDKey)
        var span: (any Span)?
        if self.observability.tracedMethods.contains(metrics.method) {
            let started = self.observability.tracer.startSpan(
                metrics.method, context: InstrumentationContext.current ?? .topLevel, ofKind: .client)
            started.attributes["rpc.system"] = "grpc"
            started.attributes["plugboard.plugin"] = self.plugin
            started.attributes["plugboard.request_id"] = requestID
            self.observability.tracer.inject(started.context, into: &request.metadata, using: MetadataInjector())
            span = started
        }
        let call = ObservedCall(
            metrics: metrics, recorder: self.recorder, span: span, logger: self.logger, requestID: requestID)
        let producer = request.producer
        request.producer = { writer in
            try await producer(RPCWriter(wrapping: CountingWriter<Input>(base: writer, counter: metrics.sent)))
        }
        do {
            var response = try await next(request, context)
            switch response.accepted {
            case .failure(let error):
                call.finish(error)
            case .success(var contents):
                contents.bodyParts = RPCAsyncSequence(wrapping: ObservedBodyParts(base: contents.bodyParts, call: call))
                response.accepted = .success(contents)
            }
            return response
        } catch {
            call.finish(error)
            throw error
        }
    }
}

/// One call in flight; its end is recorded once, by whichever comes first: the last response
/// part, an error, or the response being dropped unread (recorded as cancelled).
final class ObservedCall: Sendable {
    private let metrics: MethodMetrics
    private let recorder: CallSummaryRecorder
    private let span: (any Span)?
    private let logger: Logger
    private let requestID: String
    private let started = ContinuousClock.now
    private let ended = Atomic(false)

    init(metrics: MethodMetrics, recorder: CallSummaryRecorder, span: (any Span)?, logger: Logger, requestID: String) {
        self.metrics = metrics
        self.recorder = recorder
        self.span = span
        self.logger = logger
        self.requestID = requestID
        metrics.inFlight.increment()
    }

    deinit { self.finish(RPCError(code: .cancelled, message: "the caller dropped the response")) }

    func received() { self.metrics.received.increment() }

    /// Records the end: `error` is nil for OK.
    func finish(_ error: (any Error)?) {
        guard self.ended.compareExchange(expected: false, desired: true, ordering: .relaxed).exchanged else { return }
        let duration = ContinuousClock.now - self.started
        let codeName = CallMetadata.statusCodeName(error)
        self.metrics.inFlight.decrement()
        self.metrics.duration.recordNanoseconds(duration.nanoseconds)
        (error == nil ? self.metrics.succeeded : self.metrics.calls(code: codeName)).increment()
        self.recorder.record(duration, failed: error != nil)
        if let span = self.span {
            span.attributes["rpc.grpc.status_code"] = codeName
            if let error {
                span.recordError(error)
                span.setStatus(SpanStatus(code: .error, message: codeName))
            }
            span.end()
        }
        // The metadata is built only when the line is logged: most calls log nothing.
        guard self.logger.logLevel <= .debug else { return }
        self.logger.debug(
            "call finished",
            metadata: [
                "rpc.method": "\(self.metrics.method)", "rpc.request_id": "\(self.requestID)",
                "rpc.code": "\(codeName)",
                "rpc.duration_ms": "\(duration.milliseconds)",
            ])
    }
}

/// Counts the messages a caller writes.
struct CountingWriter<Element: Sendable>: RPCWriterProtocol {
    let base: RPCWriter<Element>
    let counter: Counter

    func write(_ element: Element) async throws {
        try await self.base.write(element)
        self.counter.increment()
    }

    func write(contentsOf elements: some Sequence<Element>) async throws {
        for element in elements { try await self.write(element) }
    }
}

/// Counts the response messages and records the call's end with the last part.
struct ObservedBodyParts<Output: Sendable>: AsyncSequence, Sendable {
    typealias Element = StreamingClientResponse<Output>.Contents.BodyPart
    let base: RPCAsyncSequence<Element, any Error>
    let call: ObservedCall

    struct AsyncIterator: AsyncIteratorProtocol {
        var base: RPCAsyncSequence<Element, any Error>.AsyncIterator
        let call: ObservedCall

        mutating func next() async throws -> Element? {
            do {
                let part = try await self.base.next()
                switch part {
                case .message: self.call.received()
                case .trailingMetadata, nil: self.call.finish(nil)  // trailers end an OK call
                }
                return part
            } catch {
                self.call.finish(error)
                throw error
            }
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(base: self.base.makeAsyncIterator(), call: self.call) }
}
