import Foundation
import PlugboardPlugin
import PlugboardTestSupport

/// Serves Echo from a `PluginServer` run as a swift-service-lifecycle `Service`, as an application
/// that runs other services next to its plugin server would.
enum ServiceGroupPlugin {
    static func run() async {
        let logger = Logger(label: "plugboard-fixture")
        let server = PluginServer(logger: logger) { _, _ in [EchoService()] }
        // The host's Shutdown ends the server's run(); the group then shuts the rest down gracefully.
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: [.init(service: server, successTerminationBehavior: .gracefullyShutdownGroup)],
                gracefulShutdownSignals: [.sigterm],
                logger: logger
            )
        )
        do {
            try await group.run()
            exit(0)
        } catch {
            FileHandle.standardError.write(Data("plugboard-fixture: \(error)\n".utf8))
            exit(1)
        }
    }
}
