import PlugboardCore
import PlugboardPlugin
import StreamSyncEngine

await PluginServer.serve(
    description: PluginDescription(
        name: "stream-plugin",
        version: "1.0.0",
        serviceSets: [ControlStreamService.serviceSet],
        appProtocolVersions: [1]
    )
) { _, logger in
    [ControlStreamService(logger: logger)]
}
