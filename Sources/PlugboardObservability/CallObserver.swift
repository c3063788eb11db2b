import CoreMetrics
public import GRPCCore
public import Logging
import PlugboardCore
public import PlugboardTransport
import Synchronization
import Tracing

/// Observes a host's calls to one plugin: gives each a request id (sent as
/// ``CallMetadata/requestIDKey`` and put on the call's log lines), a client span whose context
/// goes along in the metadata, per-method metrics, and the plugin's ``CallSummary``.
///
/// It watches from inside the lean transport (a `CallWatcher`), not as an interceptor, so a call's
/// streams are not wrapped: the metrics cost a few atomic counts per call, and nothing per message.
///
/// go-plugin's own plumbing (the `plugin.*` stdio, broker and controller services) and health
/// checks pass through unobserved: the first two live as long as the plugin, and health checks
/// have their own histogram (``MetricName/healthCheckDuration``).
public struct CallObserver: CallWatcher {
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

    public func callStarting(_ descriptor: MethodDescriptor) -> (any WatchedCall)? {
        let service = descriptor.service.fullyQualifiedService
        guard self.observability.observesCalls, !service.hasPrefix("plugin."), service != "grpc.health.v1.Health" else {
            return nil
        }
        let metrics = self.methods[descriptor]
        let requestID = CallMetadata.newRequestID()
        var span: (any Span)?
        if self.observability.tracesCalls, self.observability.tracedMethods.contains(metrics.method) {
            let started = self.observability.tracer.startSpan(
                metrics.method, context: InstrumentationContext.current ?? .topLevel, ofKind: .client)
            started.attributes["rpc.system"] = "grpc"
            started.attributes["plugboard.plugin"] = self.plugin
            started.attributes["plugboard.request_id"] = requestID
            span = started
        }
        return ObservedCall(
            metrics: metrics, recorder: self.recorder, tracer: self.observability.tracer, span: span,
            logger: self.logger, requestID: requestID)
    }
}

/// One call in flight, from its start to its end.
final class ObservedCall: WatchedCall {
    private let metrics: MethodMetrics
    private let recorder: CallSummaryRecorder
    private let tracer: any Tracer
    private let span: (any Span)?
    private let logger: Logger
    private let requestID: String
    private let started = ContinuousClock.now
    /// What the transport carried, added up over the connections the call reached.
    private let carriage = Mutex((sent: 0, received: 0, status: Status?.none))

    init(
        metrics: MethodMetrics, recorder: CallSummaryRecorder, tracer: any Tracer, span: (any Span)?, logger: Logger,
        requestID: String
    ) {
        self.metrics = metrics
        self.recorder = recorder
        self.tracer = tracer
        self.span = span
        self.logger = logger
        self.requestID = requestID
        metrics.inFlight.increment()
    }

    func sending(_ metadata: inout Metadata) {
        metadata.replaceOrAddString(self.requestID, forKey: CallMetadata.requestIDKey)
        if let span = self.span {
            self.tracer.inject(span.context, into: &metadata, using: MetadataInjector())
        }
    }

    func carried(sent: Int, received: Int, status: Status?) {
        self.carriage.withLock {
            $0.sent += sent
            $0.received += received
            if let status { $0.status = status }
        }
    }

    /// Records the end. The code is the caller's error's; without one, the status the server
    /// sent; without that, `cancelled` (the caller let go of the response before its end).
    func ended(_ error: (any Error)?) {
        let duration = ContinuousClock.now - self.started
        let (sent, received, status) = self.carriage.withLock { $0 }
        let failure: (any Error)?
        if let error {
            failure = error
        } else if let status {
            failure = RPCError(status: status)  // nil for OK
        } else {
            failure = RPCError(code: .cancelled, message: "the caller let go of the response")
        }
        let codeName = CallMetadata.statusCodeName(failure)
        self.metrics.inFlight.decrement()
        self.metrics.duration.recordNanoseconds(duration.nanoseconds)
        (failure == nil ? self.metrics.succeeded : self.metrics.calls(code: codeName)).increment()
        if sent > 0 { self.metrics.sent.increment(by: sent) }
        if received > 0 { self.metrics.received.increment(by: received) }
        self.recorder.record(duration, failed: failure != nil)
        if let span = self.span {
            span.attributes["rpc.grpc.status_code"] = codeName
            if let failure {
                span.recordError(failure)
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
