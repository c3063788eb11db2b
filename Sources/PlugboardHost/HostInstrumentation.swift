import Logging
import PlugboardObservability

/// One plugin's observers on the host: the call watcher and the lifecycle metrics.
struct HostInstrumentation: Sendable {
    let calls: CallObserver
    let lifecycle: PluginMetrics

    init(plugin: String, observability: PluginObservability, logger: Logger, supervised: Bool) {
        self.calls = CallObserver(plugin: plugin, observability: observability, logger: logger)
        self.lifecycle = PluginMetrics(
            plugin: plugin, factory: observability.metrics,
            states: supervised ? SupervisorState.allCases.map(\.rawValue) : [])
        if supervised { self.lifecycle.state(SupervisorState.idle.rawValue) }
    }
}
