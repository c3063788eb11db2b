import Foundation
public import GRPCCore
public import Logging
public import PlugboardCore
public import PlugboardTransport

#if canImport(Glibc)
import Glibc
#endif

/// What a plugin's `main` calls: it checks the cookie, negotiates the app protocol version,
/// listens on a unix socket, prints the go-plugin handshake line, and serves until the host calls
/// `GRPCController/Shutdown`, sends SIGTERM, or dies. Go hosts built on go-plugin load it as they
/// load Go plugins.
///
/// ```swift
/// @main struct RateLimitPlugin {
///     static func main() async {
///         await PluginServer.serve { version, logger in [RateLimitService(logger: logger)] }
///     }
/// }
/// ```
public enum PluginServer {
    /// Serves `services` and exits the process when done: status 0 after a requested stop, 1 when
    /// started without the cookie (by hand, say) or when it cannot listen.
    ///
    /// Run with `--describe`, it prints `description` as JSON on stdout and exits 0 instead.
    ///
    /// - Parameters:
    ///   - description: what the plugin serves, printed for `--describe`; its app protocol
    ///     versions are the ones offered in the handshake.
    ///   - handshake: the cookie and the app protocol versions this plugin speaks.
    ///   - transport: the gRPC transport to serve on.
    ///   - transportConfig: the lean transport's settings, for example `runHandlersOnEventLoop`
    ///     (on by default: handlers must not block their thread).
    ///   - logLevel: the lowest level logged as hclog JSON on stderr (the host re-logs each line).
    ///   - services: the service sets to serve for the negotiated version, by type.
    public static func serve(
        description: PluginDescription? = nil,
        handshake: HandshakeConfig? = nil,
        transport: TransportKind = .lean,
        transportConfig: UnixSocketTransport.Config = .defaults,
        logLevel: Logger.Level = .info,
        services: @Sendable (_ version: Int, _ logger: Logger) -> [any RegistrableRPCService]
    ) async -> Never {
        let handshake = handshake ?? .plugboard(appProtocolVersions: description?.appProtocolVersions ?? [1])
        if CommandLine.arguments.dropFirst().contains(PluginDescription.argument) {
            Self.describe(description)
        }
        let environment = ProcessInfo.processInfo.environment
        let name = URL(fileURLWithPath: CommandLine.arguments.first ?? "plugin").lastPathComponent
        let logger = Logger(label: name) { label in
            HCLogHandler(label: label, logLevel: logLevel) { line in Self.writeStandardError(line) }
        }
        do {
            try handshake.checkCookie(in: environment)
        } catch {
            Self.writeStandardError(error.code == .cookieMismatch ? HandshakeConfig.notAPluginMessage : "\(error)\n")
            exit(1)
        }
        let offer = VersionNegotiation.Offer(parsing: environment[PluginEnvironment.protocolVersions] ?? "")
        offer.diagnostics.forEach { logger.warning("\($0)") }
        let version = handshake.negotiatedVersion(offered: offer) ?? handshake.appProtocolVersions.min() ?? 1

        let stop = StopSignal()
        ParentWatch.start { stop.trigger(.hostExited) }
        SignalHandlers.install(stop: stop)
        let directory: SocketDirectory
        do {
            directory = try SocketDirectory(environment: environment)
        } catch {
            logger.error("\(error)")
            exit(1)
        }
        let stdout = StdoutCapture()
        let serverTransport = UnixSocketTransport.AnyServer(kind: transport, path: directory.socketPath, config: transportConfig)
        let server = GRPCServer(
            transport: serverTransport,
            services: services(version, logger) + [
                HealthService(), ControllerService(stop: stop), BrokerService(stop: stop), StdioService(stdout: stdout),
            ]
        )
        await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                do { try await server.serve() } catch { logger.error("gRPC server failed: \(error)") }
                stop.trigger(.terminated)
                return true
            }
            do {
                try await serverTransport.waitUntilListening()
            } catch {
                logger.error("cannot listen on \(directory.socketPath): \(error)")
                directory.remove()
                exit(1)
            }
            let line = Handshake(
                appProtocolVersion: version,
                socketPath: directory.socketPath,
                multiplexSupported: environment[PluginEnvironment.multiplexGRPC] != nil ? false : nil
            )
            Self.writeStandardOutput(line.description + "\n")
            stdout.redirect()
            logger.debug("plugin serving", metadata: ["address": "\(directory.socketPath)", "version": "\(version)"])

            let reason = await stop.wait()
            logger.debug("plugin stopping", metadata: ["reason": "\(reason?.rawValue ?? "cancelled")"])
            stdout.finish()
            server.beginGracefulShutdown()
            // In-flight calls get a moment to finish; then the server is cancelled outright. Either
            // way the other task is cancelled: the deadline once the server is done, or the server.
            group.addTask {
                try? await Task.sleep(for: .milliseconds(1500))
                return false
            }
            _ = await group.next()
            group.cancelAll()
        }
        directory.remove()
        exit(0)
    }

    /// Prints the description as JSON and exits: 0, or 1 when the plugin has none.
    private static func describe(_ description: PluginDescription?) -> Never {
        guard let description else {
            Self.writeStandardError("this plugin does not describe itself: pass a PluginDescription to PluginServer.serve\n")
            exit(1)
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let json = (try? encoder.encode(description)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
        Self.writeStandardOutput(json + "\n")
        exit(0)
    }

    static func writeStandardOutput(_ text: String) { Self.write(text, to: 1) }
    static func writeStandardError(_ text: String) { Self.write(text, to: 2) }

    private static func write(_ text: String, to descriptor: Int32) {
        var bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeMutableBytes { Glibc.write(descriptor, $0.baseAddress! + offset, $0.count - offset) }
            if written > 0 { offset += written } else if errno != EINTR { return }
        }
    }
}
