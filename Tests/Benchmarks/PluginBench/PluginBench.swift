import Logging
import PlugboardCore
import PlugboardHost
import PlugboardTestV1
import ProtobufC

/// One benchmark run against one echo plugin: echo-host's bench mode, on `PluginHost`.
struct PluginBench {
    let options: BenchOptions
    let watchdog: Watchdog
    let log: HostLog
    private let clock = ContinuousClock()

    /// Measures every figure; on a failure the report carries what was measured and the error.
    func run() async -> BenchReport {
        var report = BenchReport()
        report.concurrency = self.options.concurrency
        report.secondsPerFigure = self.options.seconds
        report.payloadBytes = self.options.payload
        report.autoMTLS = self.options.autoMTLS ? true : nil
        report.metrics = self.options.metrics
        do {
            try await self.measureCalls(into: &report)
            try await self.measureStartStop(into: &report)
            let callers = self.options.concurrency
            report.instrumentationCPUUsPerCall = await InstrumentationCost.observerMicroseconds(
                self.observability, callers: callers)
            report.requestIDHeaderCPUUsPerCall = await InstrumentationCost.requestIDHeaderMicroseconds(
                self.observability, callers: callers)
        } catch {
            report.error = "\(error)"
        }
        report.hostPeakRssKb = PeakMemory.host
        return report
    }

    /// `-metrics`: off, instrumented without a backend, or into a Prometheus registry (bootstrapped
    /// once, in `main`).
    private var observability: PluginObservability {
        self.options.metrics == "off" ? .off : .system()
    }

    private var spec: PluginSpec {
        PluginSpec(
            path: self.options.pluginPath, arguments: self.options.pluginArguments, autoMTLS: self.options.autoMTLS)
    }

    /// The call figures, on one started plugin, each measured for `-seconds` after a warm-up.
    private func measureCalls(into report: inout BenchReport) async throws {
        let options = self.options
        let figure = Duration.seconds(options.seconds)
        let escalationsBefore = self.log.escalations
        try await PluginHost.withPlugin(self.spec, observability: self.observability, logger: self.log.logger()) {
            plugin in
            self.watchdog.track(plugin.pid)
            let workloads = Workloads(
                calls: EchoCalls(wrapping: plugin.client, deadline: options.callDeadline), payloadBytes: options.payload
            )

            // Warm-up: every code path once, unary for -warmup seconds.
            try await step("warm-up") {
                _ = try await workloads.unarySequential(for: .seconds(options.warmup))
                try await workloads.calls.update(count: 1000, payload: workloads.payload)
            }

            /// Sequential Gets for `figure`, from where `run` runs them: calls/s, p50 and p99.
            func sequential(_ name: String, _ run: () async throws -> [Duration]) async throws -> (
                Double, Double, Double
            ) {
                let began = self.clock.now
                let latencies = try await step(name, run)
                let (p50, p99) = percentiles(latencies)
                return (rounded(Double(latencies.count) / (self.clock.now - began).seconds), p50, p99)
            }
            if options.figures.contains(.sequential) {
                (report.unaryCallsPerS, report.unaryP50Us, report.unaryP99Us) = try await sequential("sequential unary")
                {
                    try await workloads.unarySequential(for: figure)
                }
            }
            if options.figures.contains(.loop) {
                (report.loopUnaryCallsPerS, report.loopUnaryP50Us, report.loopUnaryP99Us) = try await sequential(
                    "sequential unary, caller on the connection's loop"
                ) {
                    try await plugin.withCallsOnConnectionLoop { try await workloads.unarySequential(for: figure) }
                }
            }

            /// A figure's rate and the CPU each process spent per unit of it.
            func costed(_ name: String, _ rate: () async throws -> Double) async throws -> (Double, CPUCost) {
                try await step(name) { try await CPUCost.measuring(plugin: plugin.pid) { rounded(try await rate()) } }
            }
            if options.figures.contains(.concurrent) {
                (report.unaryConcurrentCallsPerS, report.unaryConcurrentCPUUsPerCall) = try await costed(
                    "concurrent unary"
                ) {
                    try await workloads.unaryConcurrent(callers: options.concurrency, for: figure)
                }
            }
            if options.figures.contains(.pingpong) {
                report.pingpongMsgsPerS = rounded(
                    try await step("ping-pong") { try await workloads.pingPong(for: figure) })
            }
            if options.figures.contains(.collect) {
                (report.pipelinedHostToPluginMsgsPerS, report.pipelinedHostToPluginCPUUsPerMsg) = try await costed(
                    "pipelined host to plugin"
                ) {
                    try await workloads.pipelined(for: figure) {
                        try await workloads.calls.collect(count: pipelineBatch, payload: workloads.payload)
                    }
                }
            }
            if options.figures.contains(.expand) {
                (report.pipelinedPluginToHostMsgsPerS, report.pipelinedPluginToHostCPUUsPerMsg) = try await costed(
                    "pipelined plugin to host"
                ) {
                    try await workloads.pipelined(for: figure) {
                        try await workloads.calls.expand(count: pipelineBatch, payload: workloads.payload)
                    }
                }
            }
            if options.figures.contains(.brokered) {
                (report.brokeredUnaryP50Us, report.brokeredUnaryP99Us) = percentiles(
                    try await step("brokered unary") {
                        try await self.brokeredUnary(plugin, warmup: .seconds(options.warmup), for: figure)
                    })
            }
            report.pluginPeakRssKb = PeakMemory.peak(of: plugin.pid)
        }
        self.watchdog.track(0)
        if self.log.escalations != escalationsBefore {
            throw BenchError("the plugin did not exit after Shutdown; the host had to signal it")
        }
    }

    /// Sequential Get latencies over a brokered connection, measured as the main-connection figure
    /// is: the plugin serves an Echo under its broker ("serve-back"), the host dials it, warms it
    /// up, then times Gets for `duration`. The brokered Echo may tag its answers.
    private func brokeredUnary(_ plugin: RunningPlugin, warmup: Duration, for duration: Duration) async throws
        -> [Duration]
    {
        let served = try await Plugboard_Test_V1_Echo.Client(wrapping: plugin.client).get(
            .with { $0.text = "serve-back" })
        guard let id = UInt32(served.text) else {
            throw BenchError("the plugin answered serve-back with \"\(served.text)\", not a broker id")
        }
        return try await plugin.broker.withClient(id: id) { client in
            let workloads = Workloads(
                calls: EchoCalls(wrapping: client, tagged: true), payloadBytes: self.options.payload)
            _ = try await workloads.unarySequential(for: warmup)
            return try await workloads.unarySequential(for: duration)
        }
    }

    /// Times `-starts` cycles of start to first successful Get, then stop; reports the medians.
    private func measureStartStop(into report: inout BenchReport) async throws {
        var ready: [Duration] = []
        var stop: [Duration] = []
        let logger = self.log.logger()
        for cycle in stride(from: 1, through: self.options.starts, by: 1) {
            let escalationsBefore = self.log.escalations
            let began = self.clock.now
            let (readyAfter, bodyEnded) = try await PluginHost.withPlugin(
                self.spec, observability: self.observability, logger: logger
            ) { plugin in
                self.watchdog.track(plugin.pid)
                try await EchoCalls(wrapping: plugin.client).get(.with { $0.text = "ready" })
                let now = self.clock.now
                return (now - began, now)
            }
            let stopped = self.clock.now - bodyEnded
            self.watchdog.track(0)
            // PluginHost sends SIGTERM after 2 s without an exit: a stop that long was not graceful.
            guard self.log.escalations == escalationsBefore, stopped < .seconds(2) else {
                throw BenchError(
                    "start \(cycle): the plugin did not exit after Shutdown within \(stopped); the host had to signal it"
                )
            }
            ready.append(readyAfter)
            stop.append(stopped)
        }
        report.starts = ready.count
        if !ready.isEmpty {
            // Two places, as echo-host gives them: a stop takes about a millisecond.
            report.startToReadyMs = rounded(median(ready).milliseconds, places: 2)
            report.gracefulStopMs = rounded(median(stop).milliseconds, places: 2)
        }
    }
}

/// The median and 99th percentile of `latencies`, in µs.
private func percentiles(_ latencies: [Duration]) -> (p50: Double, p99: Double) {
    let sorted = latencies.sorted()
    return (rounded(sorted[sorted.count / 2].microseconds), rounded(sorted[sorted.count * 99 / 100].microseconds))
}

/// Runs one step of the benchmark, naming it in any error it throws.
private func step<Result>(_ name: String, _ body: () async throws -> Result) async throws -> Result {
    do {
        return try await body()
    } catch {
        throw BenchError("\(name): \(error)")
    }
}
