import GRPCCore
import GoPluginProtos

/// `plugin.GRPCController`: `Shutdown` replies, then asks the plugin to stop and exit 0.
struct ControllerService: Plugin_GRPCController.SimpleServiceProtocol {
    let stop: StopSignal

    func shutdown(request: Plugin_Empty, context: ServerContext) async throws -> Plugin_Empty {
        self.stop.trigger(.shutdownRequested)
        return Plugin_Empty()
    }
}
