/// The metrics Plugboard reports. Labels are bounded: the plugin's name, the method's fully
/// qualified name, a gRPC status code name, a direction or a state; never an id.
public enum MetricName {
    // Per plugin and method (labels `plugin`, `method`).
    /// Finished calls, also labelled `code` (`ok`, `unavailable`, …).
    public static let calls = "plugboard_calls_total"
    /// Call latency, from the call's start to its last response message or error.
    public static let callDuration = "plugboard_call_duration_seconds"
    /// Calls started and not yet finished.
    public static let callsInFlight = "plugboard_calls_in_flight"
    /// Stream messages, also labelled `direction` (`sent` to the plugin, `received` from it).
    public static let streamMessages = "plugboard_stream_messages_total"

    // Per plugin (label `plugin`).
    /// 1 for the state the plugin is in, 0 for the others; also labelled `state`.
    public static let state = "plugboard_plugin_state"
    /// Restarts after the first start.
    public static let restarts = "plugboard_plugin_restarts_total"
    /// Times the plugin stopped serving (crash, hang, lost socket, failed start).
    public static let failures = "plugboard_plugin_failures_total"
    /// Times the plugin was quarantined for crash-looping.
    public static let quarantines = "plugboard_plugin_quarantines_total"
    /// Start-to-ready time of each start.
    public static let startDuration = "plugboard_plugin_start_seconds"
    /// Health-check latency.
    public static let healthCheckDuration = "plugboard_plugin_health_check_seconds"
    /// Output the host discarded, labelled `stream`: `stdout` after the handshake line, and either
    /// stream's oldest waiting chunks when the plugin wrote more than 16 MiB ahead of the host.
    public static let droppedOutput = "plugboard_plugin_output_dropped_bytes_total"
}
