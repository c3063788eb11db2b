#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The figures, under the same JSON keys as `echo-host -mode bench` prints, so the orchestrator
/// reads both hosts' output the same way. Only the keys both hosts can measure alike are here:
/// echo-host's `go_aways` and `reconnects` come from grpc-go's logs and have no Swift equivalent.
struct BenchReport: Encodable, Sendable {
    var unaryP50Us = 0.0
    var unaryP99Us = 0.0
    var brokeredUnaryP50Us = 0.0
    var brokeredUnaryP99Us = 0.0
    var unaryCallsPerS = 0.0
    /// The sequential unary figures again, the caller on the connection's event loop
    /// (`RunningPlugin.withCallsOnConnectionLoop`; Plugboard's host only).
    var loopUnaryP50Us: Double?
    var loopUnaryP99Us: Double?
    var loopUnaryCallsPerS: Double?
    var unaryConcurrentCallsPerS = 0.0
    var concurrency = 0
    /// CPU µs per call of the concurrent unary figure, host and plugin (Plugboard's host only).
    var unaryConcurrentCPUUsPerCall: CPUCost?
    var pingpongMsgsPerS = 0.0
    var pipelinedHostToPluginMsgsPerS = 0.0
    var pipelinedPluginToHostMsgsPerS = 0.0
    /// CPU µs per message of the pipelined figures, host and plugin (Plugboard's host only).
    var pipelinedHostToPluginCPUUsPerMsg: CPUCost?
    var pipelinedPluginToHostCPUUsPerMsg: CPUCost?
    /// CPU µs per call of the instrumentation alone, no transport (Plugboard's host only): the
    /// host's observer, and the request id's header (encoded by the host, decoded by the plugin).
    var instrumentationCPUUsPerCall: Double?
    var requestIDHeaderCPUUsPerCall: Double?
    var startToReadyMs = 0.0
    var gracefulStopMs = 0.0
    var starts = 0
    var secondsPerFigure = 0.0
    var payloadBytes = 0
    var hostPeakRssKb = 0
    var pluginPeakRssKb = 0
    /// `true` under `--auto-mtls` (echo-host's `autoMTLS`), absent otherwise.
    var autoMTLS: Bool?
    /// `-metrics` (off, noop or prometheus); echo-host reports none.
    var metrics: String?
    var error: String?

    enum CodingKeys: String, CodingKey {
        case unaryP50Us = "unary_p50_us"
        case unaryP99Us = "unary_p99_us"
        case brokeredUnaryP50Us = "brokered_unary_p50_us"
        case brokeredUnaryP99Us = "brokered_unary_p99_us"
        case unaryCallsPerS = "unary_calls_per_s"
        case loopUnaryP50Us = "loop_unary_p50_us"
        case loopUnaryP99Us = "loop_unary_p99_us"
        case loopUnaryCallsPerS = "loop_unary_calls_per_s"
        case unaryConcurrentCallsPerS = "unary_concurrent_calls_per_s"
        case unaryConcurrentCPUUsPerCall = "unary_concurrent_cpu_us_per_call"
        case concurrency
        case pingpongMsgsPerS = "pingpong_msgs_per_s"
        case pipelinedHostToPluginMsgsPerS = "pipelined_host_to_plugin_msgs_per_s"
        case pipelinedPluginToHostMsgsPerS = "pipelined_plugin_to_host_msgs_per_s"
        case pipelinedHostToPluginCPUUsPerMsg = "pipelined_host_to_plugin_cpu_us_per_msg"
        case pipelinedPluginToHostCPUUsPerMsg = "pipelined_plugin_to_host_cpu_us_per_msg"
        case instrumentationCPUUsPerCall = "instrumentation_cpu_us_per_call"
        case requestIDHeaderCPUUsPerCall = "request_id_header_cpu_us_per_call"
        case startToReadyMs = "start_to_ready_ms"
        case gracefulStopMs = "graceful_stop_ms"
        case starts
        case secondsPerFigure = "seconds_per_figure"
        case payloadBytes = "payload_bytes"
        case hostPeakRssKb = "host_peak_rss_kb"
        case pluginPeakRssKb = "plugin_peak_rss_kb"
        case autoMTLS
        case metrics
        case error
    }

    /// The report as one line of JSON with sorted keys.
    var json: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        guard let data = try? encoder.encode(self) else { return "{\"error\":\"the report could not be encoded\"}" }
        return String(decoding: data, as: UTF8.self)
    }
}
