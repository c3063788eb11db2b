public import GRPCCore
public import Logging
public import PlugboardCore
public import PlugboardTransport

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

#if canImport(Glibc)
import Glibc
#endif

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
    /// its host dies. It runs NIO's shared event loops on one thread (set
    /// `NIO_SINGLETON_GROUP_LOOP_COUNT` for more). Run with `--describe`, it prints `description` as
    /// JSON on stdout and exits 0; without a description it describes what `services` serve for
    /// each app protocol version.
    ///
    /// Run by hand with `--debug`, it serves a debugging session (see ``debug``): it prints a
    /// `PLUGBOARD_REATTACH='…'` line that hosts attach with instead of starting the plugin, serves
    /// any number of hosts one after another, and stops on Ctrl-C, SIGTERM, or a host's `Shutdown`
    /// (which a Plugboard host sends only when the record says `kill_on_stop`).
    ///
    /// - Parameters:
    ///   - description: what the plugin serves, printed for `--describe`; its app protocol
    ///     versions are the ones offered in the handshake.
    ///   - handshake: the cookie and the app protocol versions this plugin speaks.
    ///   - transportConfig: the lean transport's settings, for example `runHandlersOnEventLoop`
    ///     (on by default: handlers must not block their thread).
    ///   - logLevel: the lowest level logged as hclog JSON on stderr.
    ///   - services: the service sets to serve for the negotiated version.
    public static func serve(
        description: PluginDescription? = nil,
        handshake: HandshakeConfig? = nil,
        transportConfig: UnixSocketTransport.Config = .defaults,
        logLevel: Logger.Level = .info,
        services: @escaping @Sendable (_ version: Int, _ logger: Logger) -> [any RegistrableRPCService]
    ) async -> Never {
        await Self.serve(
            description: description, handshake: handshake, transportConfig: transportConfig,
            logLevel: logLevel
        ) { version, logger, _ in services(version, logger) }
    }

    /// The `serve` above, for services
    /// that call the host back, or serve extra connections, through go-plugin's broker.
    public static func serve(
        description: PluginDescription? = nil,
        handshake: HandshakeConfig? = nil,
        transportConfig: UnixSocketTransport.Config = .defaults,
        logLevel: Logger.Level = .info,
        services:
            @escaping @Sendable (_ version: Int, _ logger: Logger, _ broker: PluginBroker) ->
            [any RegistrableRPCService]
    ) async -> Never {
        UnixSocketTransport.startOneEventLoopThread()
        let handshake = handshake ?? .plugboard(appProtocolVersions: description?.appProtocolVersions ?? [1])
        let name = CommandLine.arguments.first?.split(separator: "/").last.map(String.init) ?? "plugin"
        let logger = Logger(label: name) { label in
            HCLogHandler(label: label, logLevel: logLevel) { line in StandardStreams.writeError(line) }
        }
        if CommandLine.arguments.dropFirst().contains(PluginDescription.argument) {
            let described =
                description
                ?? PluginDescription(
                    name: name, handshake: handshake, logger: logger
                ) { version, logger in services(version, logger, Self.describingBroker()) }
            Self.describe(described)
        }
        var server = PluginServer(
            handshake: handshake, transportConfig: transportConfig, logger: logger,
            services: services
        )
        server.debug = CommandLine.arguments.dropFirst().contains(ReattachRecord.debugArgument)
        server.onStopped = { exit(0) }
        SignalHandlers.install(stop: server.stop)
        if server.debug {
            // Run by a person, not a host: a shell script that starts it in the background and
            // exits, or a debugger, does not end the session; Ctrl-C does.
            SignalHandlers.stopOnInterrupt(server.stop)
        } else {
            ParentWatch.start { [stop = server.stop] in stop.trigger(.hostExited) }
        }
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
