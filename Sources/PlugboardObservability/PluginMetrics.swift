public import CoreMetrics
import PlugboardCore

/// One plugin's lifecycle metrics (see ``MetricName``), fed by its host or supervisor.
public final class PluginMetrics: Sendable {
    private let stateGauges: [String: Gauge]
    private let restartCounter: Counter
    private let failureCounter: Counter
    private let quarantineCounter: Counter
    private let startTimer: Timer
    private let healthTimer: Timer
    private let droppedStdout: Counter
    private let droppedStderr: Counter

    /// - Parameters:
    ///   - plugin: the plugin's name, the `plugin` label of every metric.
    ///   - factory: makes the metrics.
    ///   - states: the states ``MetricName/state`` reports, one gauge each (a supervisor's; none for
    ///     a plugin run by `PluginHost.withPlugin` alone, which has no state to report).
    public init(plugin: String, factory: any MetricsFactory, states: [String]) {
        let dimensions = [("plugin", plugin)]
        self.stateGauges = Dictionary(
            uniqueKeysWithValues: states.map {
                ($0, Gauge(label: MetricName.state, dimensions: dimensions + [("state", $0)], factory: factory))
            })
        self.restartCounter = Counter(label: MetricName.restarts, dimensions: dimensions, factory: factory)
        self.failureCounter = Counter(label: MetricName.failures, dimensions: dimensions, factory: factory)
        self.quarantineCounter = Counter(label: MetricName.quarantines, dimensions: dimensions, factory: factory)
        self.startTimer = Timer(label: MetricName.startDuration, dimensions: dimensions, factory: factory)
        self.healthTimer = Timer(label: MetricName.healthCheckDuration, dimensions: dimensions, factory: factory)
        self.droppedStdout = Counter(
            label: MetricName.droppedOutput, dimensions: dimensions + [("stream", "stdout")], factory: factory)
        self.droppedStderr = Counter(
            label: MetricName.droppedOutput, dimensions: dimensions + [("stream", "stderr")], factory: factory)
    }

    /// Sets the gauge of `state` (one of the states given at `init`) to 1 and the others to 0.
    public func state(_ state: String) {
        for (name, gauge) in self.stateGauges { gauge.record(name == state ? 1 : 0) }
    }

    /// A start reached ready after `duration`; `restart` when it was not the first.
    public func ready(after duration: Duration, restart: Bool) {
        self.startTimer.recordNanoseconds(duration.nanoseconds)
        if restart { self.restartCounter.increment() }
    }

    public func failed() { self.failureCounter.increment() }
    public func quarantined() { self.quarantineCounter.increment() }
    public func healthChecked(in duration: Duration) { self.healthTimer.recordNanoseconds(duration.nanoseconds) }
    public func droppedStdout(bytes: Int) { self.droppedStdout.increment(by: bytes) }
    /// Stderr the plugin wrote faster than the host re-logged it, dropped to bound the host's memory.
    public func droppedStderr(bytes: Int) { self.droppedStderr.increment(by: bytes) }
}
