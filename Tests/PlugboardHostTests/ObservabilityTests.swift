import Foundation
import InMemoryLogging
import InMemoryTracing
import PlugboardHost
import PlugboardObservability
import PlugboardTestV1
import Prometheus
import Testing
import Tracing

#if canImport(Glibc)
import Glibc
#endif

/// What a host reports about its plugins: Prometheus metrics (parsed by the Python Prometheus
/// client, not by a regular expression here), spans continued by the plugin, and request ids.
@Suite("Observability", .timeLimit(.minutes(2)))
struct ObservabilityTests {
    @Test(
        "a scrape during calls parses, its counters match the calls made, and a killed plugin shows in restarts and failures"
    )
    func metrics() async throws {
        let registry = PrometheusCollectorRegistry()
        let observability = PluginObservability(
            metrics: PrometheusMetricsFactory(registry: registry), tracer: NoOpTracer())
        let (logger, _) = TestEnvironment.capturingLogger()
        let spec = TestEnvironment.fixture("echo")
        let supervisor = PluginSupervisor(
            spec: spec, policy: SupervisionHarness.policy(), observability: observability, logger: logger)
        let plugin = spec.name
        try await SupervisionHarness.run(supervisor, logger: logger) { events in
            _ = try await events.wait { $0.isReady }
            let echo = Plugboard_Test_V1_Echo.Client(wrapping: supervisor.client)
            // 200 unary calls from 4 callers, with a scrape in the middle of them.
            let midway = try await withThrowingTaskGroup(of: [PrometheusSample]?.self) { callers in
                for caller in 0..<4 {
                    callers.addTask {
                        for call in 0..<50 { _ = try await echo.get(.with { $0.text = "\(caller)-\(call)" }) }
                        return nil
                    }
                }
                callers.addTask {
                    try await Task.sleep(for: .milliseconds(20))
                    return try await PrometheusSample.parse(registry)
                }
                var midway: [PrometheusSample] = []
                for try await samples in callers { midway += samples ?? [] }
                return midway
            }
            #expect(
                midway.contains {
                    $0.name == "plugboard_plugin_state" && $0.labels["state"] == "ready" && $0.value == 1
                })
            // A bidirectional stream of 10 messages each way.
            let echoed = try await echo.update(
                request: StreamingClientRequest { writer in
                    for index in 0..<10 { try await writer.write(.with { $0.text = "\(index)" }) }
                }
            ) { response in try await response.messages.reduce(0) { count, _ in count + 1 } }
            #expect(echoed == 10)

            var samples = try await PrometheusSample.parse(registry)
            func value(_ name: String, _ labels: [String: String]) -> Double? { samples.value(name, labels) }
            let get = ["plugin": plugin, "method": "plugboard.test.v1.Echo/Get"]
            let update = ["plugin": plugin, "method": "plugboard.test.v1.Echo/Update"]
            #expect(value("plugboard_calls_total", get.merging(["code": "ok"]) { $1 }) == 200)
            #expect(value("plugboard_call_duration_seconds_count", get) == 200)
            #expect(value("plugboard_calls_in_flight", get) == 0)
            #expect(value("plugboard_stream_messages_total", get.merging(["direction": "sent"]) { $1 }) == 200)
            #expect(value("plugboard_stream_messages_total", get.merging(["direction": "received"]) { $1 }) == 200)
            #expect(value("plugboard_calls_total", update.merging(["code": "ok"]) { $1 }) == 1)
            #expect(value("plugboard_stream_messages_total", update.merging(["direction": "sent"]) { $1 }) == 10)
            #expect(value("plugboard_stream_messages_total", update.merging(["direction": "received"]) { $1 }) == 10)
            #expect(value("plugboard_plugin_start_seconds_count", ["plugin": plugin]) == 1)
            #expect(value("plugboard_plugin_restarts_total", ["plugin": plugin]) == 0)
            #expect(supervisor.calls.calls == 201 && supervisor.calls.errors == 0)

            // SIGKILL under a call: one failure, one restart, one failed call with its code.
            let mark = events.mark
            let pid = try #require(supervisor.current?.pid)
            async let succeeded: Bool = {
                do {
                    _ = try await echo.get(.with { $0.text = "sleep:5000" })
                    return true
                } catch {
                    return false
                }
            }()
            try await Task.sleep(for: .milliseconds(100))
            kill(pid, SIGKILL)
            guard await !succeeded else {
                Issue.record("the call in flight when the plugin was killed succeeded")
                return
            }
            _ = try await events.wait(after: mark) { $0.isReady }
            _ = try await echo.get(.with { $0.text = "after" })
            samples = try await PrometheusSample.parse(registry)
            #expect(value("plugboard_plugin_restarts_total", ["plugin": plugin]) == 1)
            #expect(value("plugboard_plugin_failures_total", ["plugin": plugin]) == 1)
            #expect(value("plugboard_plugin_start_seconds_count", ["plugin": plugin]) == 2)
            #expect(value("plugboard_calls_total", get.merging(["code": "unavailable"]) { $1 }) == 1)
            #expect(value("plugboard_calls_total", get.merging(["code": "ok"]) { $1 }) == 201)
            #expect(value("plugboard_plugin_state", ["plugin": plugin, "state": "ready"]) == 1)
            #expect(value("plugboard_plugin_state", ["plugin": plugin, "state": "restarting"]) == 0)
            #expect(supervisor.calls.errors == 1)
        }
    }

    @Test("request ids are 16 lower-case hex digits, none the same among 100,000 from 4 tasks")
    func requestIDFormat() async {
        let ids = await withTaskGroup(of: [String].self) { group in
            for _ in 0..<4 { group.addTask { (0..<25_000).map { _ in CallMetadata.newRequestID() } } }
            return await group.reduce(into: [String]()) { $0 += $1 }
        }
        #expect(Set(ids).count == 100_000)
        #expect(
            ids.allSatisfy {
                $0.utf8.count == 16 && $0.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
            })
    }

    @Test("the plugin's span for a call is a child of the host's client span, and an opted-out method gets none")
    func tracing() async throws {
        let tracer = InMemoryTracer()
        let observability = PluginObservability(
            metrics: PrometheusMetricsFactory(registry: PrometheusCollectorRegistry()), tracer: tracer,
            tracedMethods: .allExcept(["plugboard.test.v1.Echo/Collect"])
        )
        let (logger, _) = TestEnvironment.capturingLogger()
        var spec = TestEnvironment.fixture("echo")
        spec.environment = ["PLUGBOARD_FIXTURE_TRACING": "1"]
        try await PluginHost.withPlugin(spec, observability: observability, logger: logger) { plugin in
            let echo = Plugboard_Test_V1_Echo.Client(wrapping: plugin.client)
            let answer = try await echo.get(.with { $0.text = "trace" }).text.split(separator: " ").map(String.init)
            let host = try #require(tracer.finishedSpans.last { $0.operationName == "plugboard.test.v1.Echo/Get" })
            #expect(host.kind == .client)
            #expect(answer.count == 3)
            #expect(answer.first == host.traceID, "the plugin continues the host's trace")
            #expect(answer.last == host.spanID, "the plugin's span's parent is the host's call span")

            _ = try await echo.collect(
                request: StreamingClientRequest { writer in try await writer.write(.with { $0.text = "x" }) })
            #expect(!tracer.finishedSpans.contains { $0.operationName == "plugboard.test.v1.Echo/Collect" })
        }
    }

    @Test("a Go plugin on go-plugin receives the request id and the host span's context as ordinary metadata")
    func goPluginMetadata() async throws {
        let tracer = InMemoryTracer()
        let observability = PluginObservability(
            metrics: PrometheusMetricsFactory(registry: PrometheusCollectorRegistry()), tracer: tracer)
        let (logger, _) = TestEnvironment.capturingLogger()
        let spec = PluginSpec(
            path: try TestEnvironment.goPeer("echo-plugin"), name: "go-echo-\(UInt32.random(in: 0...UInt32.max))")
        try await PluginHost.withPlugin(spec, observability: observability, logger: logger) { plugin in
            let echo = Plugboard_Test_V1_Echo.Client(wrapping: plugin.client)
            let id = try await echo.get(.with { $0.text = "metadata:\(CallMetadata.requestIDKey)" }).text
            #expect(id.count == 16 && id.allSatisfy(\.isHexDigit), "the request id the Go plugin saw: \(id)")
            // Each call is its own span: compare what the plugin saw with that call's span.
            for (key, field) in [
                (InMemoryTracer.traceIDKey, \FinishedInMemorySpan.traceID), (InMemoryTracer.spanIDKey, \.spanID),
            ] {
                let seen = try await echo.get(.with { $0.text = "metadata:\(key)" }).text
                let call = try #require(tracer.finishedSpans.last { $0.operationName == "plugboard.test.v1.Echo/Get" })
                #expect(!seen.isEmpty && seen == call[keyPath: field], "the Go plugin saw the call span's \(key)")
            }
        }
    }

    @Test(
        "the host's call log line, the plugin's handler and the plugin's own log line share the request id; the lines have the duration"
    )
    func requestIDs() async throws {
        let (logger, log) = TestEnvironment.capturingLogger()
        try await PluginHost.withPlugin(TestEnvironment.fixture("echo"), logger: logger) { plugin in
            let id = try await Plugboard_Test_V1_Echo.Client(wrapping: plugin.client).get(
                .with { $0.text = "request-id" }
            ).text
            #expect(id.count == 16 && id.allSatisfy(\.isHexDigit))
            // The host's own line, and the plugin's, which its stderr carries to the host's logger
            // a little later (up to 5 s on a loaded machine).
            var lines = log.entries.filter { $0.metadata["rpc.request_id"].map { "\($0)" } == id }
            for _ in 0..<100 where !lines.contains(where: { $0.message.description == "call served" }) {
                try await Task.sleep(for: .milliseconds(50))
                lines = log.entries.filter { $0.metadata["rpc.request_id"].map { "\($0)" } == id }
            }
            for message in ["call finished", "call served"] {
                let line = try #require(
                    lines.first { $0.message.description == message },
                    "no '\(message)' line with request id \(id): \(log.entries.map(\.message))")
                #expect(line.metadata["rpc.method"].map { "\($0)" } == "plugboard.test.v1.Echo/Get")
                #expect(line.metadata["rpc.duration_ms"].flatMap { Double("\($0)") } != nil)
                #expect(line.metadata["rpc.code"].map { "\($0)" } == "ok")
            }
        }
    }
}

extension [PrometheusSample] {
    /// The value of the first sample named `name` whose labels include `labels`.
    func value(_ name: String, _ labels: [String: String]) -> Double? {
        self.first { sample in sample.name == name && labels.allSatisfy { sample.labels[$0.key] == $0.value } }?.value
    }
}

/// One sample of a Prometheus text exposition, as the Python Prometheus client parses it.
struct PrometheusSample: Decodable, Sendable {
    var name: String
    var labels: [String: String]
    var value: Double

    /// Renders `registry` and parses it with `prometheus_client.parser` (python3-prometheus-client).
    static func parse(_ registry: PrometheusCollectorRegistry) async throws -> [PrometheusSample] {
        var text: [UInt8] = []
        registry.emit(into: &text)
        return try await self.parse(text: Data(text))
    }

    static func parse(text: Data) async throws -> [PrometheusSample] {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("scrape-\(UUID()).txt")
        try text.write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        return try await self.python(file.path)
    }

    /// Fetches `url` (Python's urllib) and parses the answer.
    static func scrape(_ url: String) async throws -> [PrometheusSample] {
        try await self.python(url)
    }

    private static func python(_ source: String) async throws -> [PrometheusSample] {
        let python = Process()
        python.executableURL = URL(fileURLWithPath: "/usr/bin/python3")  // Debian's, with python3-prometheus-client
        python.arguments = ["-c", Self.parser, source]
        let (stdout, stderr) = try await python.outputs()
        guard python.terminationStatus == 0 else {
            throw ParseFailure(
                description:
                    "prometheus_client could not parse the scrape of \(source): \(String(decoding: stderr, as: UTF8.self))"
            )
        }
        return try JSONDecoder().decode([PrometheusSample].self, from: stdout)
    }

    private static let parser = """
        import json, sys, urllib.request
        from prometheus_client.parser import text_string_to_metric_families
        source = sys.argv[1]
        if source.startswith("http://"):
            with urllib.request.urlopen(source, timeout=10) as answer:
                text = answer.read().decode()
        else:
            text = open(source).read()
        samples = [
            {"name": s.name, "labels": s.labels, "value": s.value}
            for family in text_string_to_metric_families(text)
            for s in family.samples
        ]
        json.dump(samples, sys.stdout)
        """

    struct ParseFailure: Error, CustomStringConvertible { var description: String }
}
