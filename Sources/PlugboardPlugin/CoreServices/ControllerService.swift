import GRPCCore
import GoPluginProtos

/// `plugin.GRPCController`: `Shutdown` asks the plugin to stop and exit 0, then replies (an idle
/// plugin that exits when stopped ends without a reply, as go-plugin's do).
struct ControllerService: Plugin_GRPCController.SimpleServiceProtocol {
    let stop: StopSignal

    func shutdown(request: Plugin_Empty, context: ServerContext) async throws -> Plugin_Empty {
        self.stop.shutdownRequested()
        return Plugin_Empty()
    }
}
