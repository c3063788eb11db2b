import PlugboardCore
import PlugboardPlugin
import RateLimitEngine

await PluginServer.serve(
    description: PluginDescription(name: "ratelimit-plugin", version: "1.0.0", serviceSets: [RateLimitService.serviceSet], appProtocolVersions: [1])
) { _, logger in [RateLimitService(logger: logger)] }
