import GRPCCore
import GoPluginProtos
import PlugboardBroker

/// `plugin.GRPCBroker`: the host's broker stream. The plugin's announcements go out on it, the
/// host's come in, until the host ends it or the plugin stops.
struct BrokerService: Plugin_GRPCBroker.SimpleServiceProtocol {
    let stop: StopSignal
    let broker: PluginBroker

    func startStream(
        request: RPCAsyncSequence<Plugin_ConnInfo, any Error>,
        response: RPCWriter<Plugin_ConnInfo>,
        context: ServerContext
    ) async throws {
        try await self.stop.race {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    for await info in self.broker.outgoing { try await response.write(info) }
                }
                for try await info in request { self.broker.received(info) }
                group.cancelAll()
            }
        }
    }
}
