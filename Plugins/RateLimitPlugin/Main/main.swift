import PlugboardCore
import PlugboardPlugin
import RateLimitEngine

await PluginServer.serve(
    description: PluginDescription(
        name: "ratelimit-plugin", version: "1.0.0", serviceSets: [RateLimitService.serviceSet], appProtocolVersions: [1]
    )
) { _, logger, broker in
    // A rule set that names a tier directory gets one connection to it, through the broker, kept
    // until the next rule set replaces it.
    [
        RateLimitService(logger: logger) { id in
            let connection = try await broker.dial(id: id)
            return GRPCTierSource(client: connection.client, close: connection.close)
        }
    ]
}
