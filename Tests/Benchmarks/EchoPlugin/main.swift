// bench-echo-plugin: the Swift side of `make bench`. It serves plugboard.test.v1.Echo through the
// plugin SDK exactly as the Go echo-plugin serves it through go-plugin, and does nothing else, so
// the benchmark measures the SDK and the transport, not a fixture's extra modes. The one extra is
// the broker text the brokered figure needs, answered as the Go echo-plugin answers it.

import GRPCCore
import PlugboardPlugin
import PlugboardTestSupport
import PlugboardTestV1

await PluginServer.serve { _, _, broker in [BenchEcho(broker: broker)] }

/// The echo service, where Get `serve-back` serves a tagging Echo under a new broker id and answers
/// with the id, as the Go echo-plugin does (its brokered Echo says "go-plugin: <text>").
struct BenchEcho: EchoWithOwnGet {
    let broker: PluginBroker
    let echo = EchoService()

    init(broker: PluginBroker) { self.broker = broker }

    func get(request: EchoRequest, context: ServerContext) async throws -> EchoResponse {
        guard request.text == "serve-back" else { return try await self.echo.get(request: request, context: context) }
        let id = self.broker.nextID()
        // Tagged as the Go echo-plugin's brokered Echo answers, so both do the same work per call.
        try await self.broker.serve(id: id, services: [EchoService(tag: "swift-plugin")])
        return .with {
            $0.text = "\(id)"; $0.sequence = request.sequence
        }
    }
}
