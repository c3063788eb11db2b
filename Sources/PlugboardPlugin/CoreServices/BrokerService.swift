import GoPluginProtos
import GRPCCore

/// `plugin.GRPCBroker`: accepts the host's broker stream and keeps it open until the host ends it.
///
/// Brokered connections (callbacks into the host) are not offered yet: announcements are read and
/// logged, nothing is dialled.
struct BrokerService: Plugin_GRPCBroker.SimpleServiceProtocol {
    let stop: StopSignal

    func startStream(
        request: RPCAsyncSequence<Plugin_ConnInfo, any Error>,
        response: RPCWriter<Plugin_ConnInfo>,
        context: ServerContext
    ) async throws {
        try await self.stop.race { for try await _ in request {} }
    }
}
