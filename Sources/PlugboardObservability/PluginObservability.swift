public import CoreMetrics
public import Tracing

/// Where a host reports what its plugins do: metrics through swift-metrics, a span per call
/// through swift-distributed-tracing. Plugboard picks no backend; the application bootstraps one
/// (`plugboard run --metrics` serves Prometheus text) or passes its own here.
public struct PluginObservability: Sendable {
    /// Makes the counters, gauges and timers (see ``MetricName`` for their names and labels).
    public var metrics: any MetricsFactory
    /// Starts a client span per call and injects its context into the call's metadata, which a
    /// Plugboard plugin continues (its handler spans become children) and a Go plugin receives as
    /// ordinary metadata. With an OpenTelemetry tracer (swift-otel) that is W3C `traceparent`.
    public var tracer: any Tracer {
        didSet { self.tracesCalls = !(self.tracer is NoOpTracer) }
    }
    /// The methods that get a span; the others are still counted and timed.
    public var tracedMethods: TracedMethods
    /// Whether calls are observed at all; ``off`` is the only value where they are not.
    public var observesCalls: Bool
    /// Whether calls get spans at all: not while the tracer is the no-op one, so a host without
    /// a tracer pays nothing for spans.
    var tracesCalls: Bool

    public init(metrics: any MetricsFactory, tracer: any Tracer, tracedMethods: TracedMethods = .all) {
        self.metrics = metrics
        self.tracer = tracer
        self.tracedMethods = tracedMethods
        self.observesCalls = true
        self.tracesCalls = !(tracer is NoOpTracer)
    }

    /// No metrics, spans, request ids or call summaries: calls go straight through (what
    /// `make bench` measures instrumentation against).
    public static var off: PluginObservability {
        var off = PluginObservability(metrics: NOOPMetricsHandler.instance, tracer: NoOpTracer(), tracedMethods: .none)
        off.observesCalls = false
        return off
    }

    /// The process-wide backends: `MetricsSystem.factory` and `InstrumentationSystem.tracer`, as
    /// bootstrapped when the host is made (no-op until something is bootstrapped).
    public static func system(tracedMethods: TracedMethods = .all) -> PluginObservability {
        PluginObservability(
            metrics: MetricsSystem.factory, tracer: InstrumentationSystem.bootstrappedTracer ?? NoOpTracer(),
            tracedMethods: tracedMethods)
    }
}

/// Which methods get a span, by fully qualified name (`ratelimit.v1.RateLimiter/Check`).
public enum TracedMethods: Sendable, Hashable {
    case all
    case none
    case only(Set<String>)
    case allExcept(Set<String>)

    /// Whether `method` gets a span.
    public func contains(_ method: String) -> Bool {
        switch self {
        case .all: return true
        case .none: return false
        case .only(let methods): return methods.contains(method)
        case .allExcept(let methods): return !methods.contains(method)
        }
    }
}

extension InstrumentationSystem {
    /// `tracer`, or `nil` while no instrument, or none that traces, is bootstrapped (or bound to
    /// the task). Asking `tracer` of the no-op instrument
    /// casts it to `Tracer`, and a process's first such cast searches every protocol conformance
    /// in the binary (a plugin's start-up profile showed it); the check of the instrument's type
    /// that comes first here costs nothing.
    static var bootstrappedTracer: (any Tracer)? {
        if InstrumentationSystem.instrument is NoOpInstrument { return nil }
        let tracer = InstrumentationSystem.tracer
        return tracer is NoOpTracer ? nil : tracer
    }
}
