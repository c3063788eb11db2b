import Foundation
public import GRPCCore
public import Logging
public import PlugboardCore
public import PlugboardTransport

extension PluginServer {
    /// What a plugin's `main` calls: runs a ``PluginServer`` and exits the process when it is done,
    /// with status 0 after a requested stop, 1 when started without the cookie (by hand, say) or
    /// when it cannot listen.
    ///
    /// ```swift
    /// @main struct InventoryPlugin {
    ///     static func main() async {
    ///         await PluginServer.serve { version, logger in [InventoryService()] }
    ///     }
    /// }
    /// ```
    ///
    /// It logs hclog JSON lines on stderr (hosts re-log them at their levels), ignores SIGINT (the
    /// host decides when plugins stop), stops gracefully on SIGTERM, and exits within a second when
    /// its host dies. Run with `--describe`, it prints `description` as JSON on stdout and exits 0;
    /// without a description it describes what `services` serve for each app protocol version.
    ///
    /// - Parameters:
    ///   - description: what the plugin serves, printed for `--describe`; its app protocol
    ///     versions are the ones offered in the handshake.
    ///   - handshake: the cookie and the app protocol versions this plugin speaks.
    ///   - transport: the gRPC transport to serve on.
    ///   - transportConfig: the lean transport's settings, for example `runHandlersOnEventLoop`
    ///     (on by default: handlers must not block their thread).
    ///   - logLevel: the lowest level logged as hclog JSON on stderr.
    ///   - services: the service sets to serve for the negotiated version.
    public static func serve(
        description: PluginDescription? = nil,
        handshake: HandshakeConfig? = nil,
        transport: TransportKind = .lean,
        transportConfig: UnixSocketTransport.Config = .defaults,
        logLevel: Logger.Level = .info,
        services: @escaping @Sendable (_ version: Int, _ logger: Logger) -> [any RegistrableRPCService]
    ) async -> Never {
        let handshake = handshake ?? .plugboard(appProtocolVersions: description?.appProtocolVersions ?? [1])
        let name = URL(fileURLWithPath: CommandLine.arguments.first ?? "plugin").lastPathComponent
        let logger = Logger(label: name) { label in
            HCLogHandler(label: label, logLevel: logLevel) { line in StandardStreams.writeError(line) }
        }
        if CommandLine.arguments.dropFirst().contains(PluginDescription.argument) {
            let described = description ?? PluginDescription(
                name: name, handshake: handshake, logger: logger, services: services
            )
            Self.describe(described)
        }
        let server = PluginServer(
            handshake: handshake, transport: transport, transportConfig: transportConfig, logger: logger,
            services: services
        )
        ParentWatch.start { server.stop.trigger(.hostExited) }
        SignalHandlers.install(stop: server.stop)
        do {
            try await server.run()
        } catch let error as PluginError where error.code == .cookieMismatch {
            StandardStreams.writeError(HandshakeConfig.notAPluginMessage)
            exit(1)
        } catch {
            logger.error("\(error)")
            exit(1)
        }
        exit(0)
    }

    /// Prints the description as JSON and exits 0.
    private static func describe(_ description: PluginDescription) -> Never {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let json = (try? encoder.encode(description)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
        StandardStreams.writeOutput(json + "\n")
        exit(0)
    }
}
