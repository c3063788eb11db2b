public import GRPCCore
public import Logging
public import PlugboardCore
import PlugboardObservability
import PlugboardSystem
public import PlugboardTransport
public import ServiceLifecycle

/// A plugin's gRPC server as a swift-service-lifecycle `Service`: it checks the cookie, negotiates
/// the app protocol version, listens on a unix socket, prints the go-plugin handshake line, and
/// serves until the host calls `GRPCController/Shutdown`, the service group shuts down gracefully,
/// or its task is cancelled. Go hosts built on go-plugin load it as they load Go plugins.
///
/// Most plugins call `serve(description:handshake:transportConfig:logLevel:services:)`
/// from `main`, which also handles `--describe`, signals and the host's death, and exits. Run a
/// `PluginServer` yourself to serve next to other services in one `ServiceGroup`:
///
/// ```swift
/// let server = PluginServer(logger: logger) { version, logger in [InventoryService()] }
/// let group = ServiceGroup(
///     configuration: ServiceGroupConfiguration(
///         services: [.init(service: server, successTerminationBehavior: .gracefullyShutdownGroup), metricsExporter],
///         gracefulShutdownSignals: [.sigterm],
///         logger: logger
///     )
/// )
/// try await group.run()
/// ```
///
/// ``run()`` returns when the host calls `Shutdown`: `.gracefullyShutdownGroup` then stops the
/// rest of the process with it, as go-plugin plugins do.
public struct PluginServer: Service {
    let handshake: HandshakeConfig
    let transportConfig: UnixSocketTransport.Config
    let environment: [String: String]
    let logger: Logger
    let services: @Sendable (_ version: Int, _ logger: Logger, _ broker: PluginBroker) -> [any RegistrableRPCService]
    /// Fires once: Shutdown, graceful shutdown, SIGTERM or the host's death (the last two from ``serve``).
    let stop = StopSignal()
    /// Serve a debugging session, as `--debug` does under `PluginServer.serve`: no cookie check, no
    /// AutoMTLS, the highest version unless `PLUGIN_PROTOCOL_VERSIONS` offers others, and instead of
    /// the handshake line a `PLUGBOARD_REATTACH='…'` line (keyed by the logger's label) that hosts
    /// attach with; stdout stays where it was. Set it before ``run()``.
    public var debug = false
    /// Called, when set, once a stop has sent every reply and the connections are closing, on the
    /// event loop that sent the last; `serve` exits the process there instead of unwinding the
    /// server's tasks (as go-plugin's `Stop` does).
    var onStopped: (@Sendable () -> Void)?

    /// - Parameters:
    ///   - handshake: the cookie and the app protocol versions this plugin speaks.
    ///   - transportConfig: the lean transport's settings, for example `runHandlersOnEventLoop`
    ///     (on by default: handlers must not block their thread).
    ///   - environment: where the host's handshake variables are read; `nil` reads the process's.
    ///   - logger: where the server logs; the services get it too.
    ///   - services: the service sets to serve for the negotiated version.
    public init(
        handshake: HandshakeConfig = .plugboard(appProtocolVersions: [1]),
        transportConfig: UnixSocketTransport.Config = .defaults,
        environment: [String: String]? = nil,
        logger: Logger,
        services: @escaping @Sendable (_ version: Int, _ logger: Logger) -> [any RegistrableRPCService]
    ) {
        self.init(
            handshake: handshake, transportConfig: transportConfig, environment: environment,
            logger: logger
        ) { version, logger, _ in services(version, logger) }
    }

    /// A server whose services call the host back, or serve extra connections, through go-plugin's
    /// broker: `services` gets the `PluginBroker` of the connection to the host.
    public init(
        handshake: HandshakeConfig = .plugboard(appProtocolVersions: [1]),
        transportConfig: UnixSocketTransport.Config = .defaults,
        environment: [String: String]? = nil,
        logger: Logger,
        services:
            @escaping @Sendable (_ version: Int, _ logger: Logger, _ broker: PluginBroker) ->
            [any RegistrableRPCService]
    ) {
        self.handshake = handshake
        self.transportConfig = transportConfig
        self.environment = environment ?? ProcessEnvironment.variables()
        self.logger = logger
        self.services = services
    }

    /// Serves until stopped, then stops gracefully: in-flight calls get 1.5 s, the socket is removed.
    ///
    /// When the host passes `PLUGIN_CLIENT_CERT` (go-plugin's AutoMTLS), the server requires TLS
    /// with exactly the host's certificate and prints its own one-time certificate in the handshake.
    ///
    /// - Throws: `PluginError` with code `cookieMismatch` when the host's cookie is missing or wrong
    ///   (the process was not started by a host), `invalidClientCertificate` when `PLUGIN_CLIENT_CERT`
    ///   is not a PEM certificate, or `launchFailed`/`socketPathInvalid` when it cannot listen.
    public func run() async throws {
        if !self.debug { try self.handshake.checkCookie(in: self.environment) }
        let offer = VersionNegotiation.Offer(parsing: self.environment[PluginEnvironment.protocolVersions] ?? "")
        offer.diagnostics.forEach { self.logger.warning("\($0)") }
        let version = self.chosenVersion(offer)
        let autoMTLS = self.debug ? nil : try self.autoMTLS()
        let directory = try SocketDirectory(environment: self.environment)
        defer { directory.remove() }
        // The socket listens, and the handshake says so, before anything else is made: the host
        // reads the line and connects while the services are made and the server starts, its
        // connection waiting in the socket's backlog (go-plugin's plugins, too, print the line
        // once their socket listens and before they serve).
        let listener = try Self.listen(on: directory.socketPath, config: self.transportConfig)
        let stdout = StdoutCapture()
        self.announce(
            Handshake(
                appProtocolVersion: version,
                socketPath: directory.socketPath,
                serverCertificate: autoMTLS?.certificate,
                multiplexSupported: self.environment[PluginEnvironment.multiplexGRPC] != nil ? false : nil
            ),
            stdout: stdout
        )
        let broker = PluginBroker(
            peer: .host, socketDirectory: directory.path, tls: autoMTLS?.tls, dialCheck: Self.sameUser
        )
        let services =
            self.services(version, self.logger, broker)
            + CoreServices.all(stop: self.stop, stdout: stdout, broker: broker)
        let continuation = CallContinuation(logger: self.logger)
        let serverTransport = UnixSocketTransport.Server(
            path: directory.socketPath, config: self.transportConfig, tls: autoMTLS?.tls.server,
            backgroundPaths: CoreServices.backgroundPaths,
            directMethods: DirectMethods(serving: services) { descriptor, metadata, body in
                await continuation.continueCall(descriptor, metadata: metadata, body)
            },
            listeningSocket: listener
        )
        let server = GRPCServer(transport: serverTransport, services: services, interceptors: [continuation])
        try await withGracefulShutdownHandler {
            try await self.serve(
                server, on: serverTransport, in: directory, version: version, broker: broker, stdout: stdout)
        } onGracefulShutdown: {
            self.stop.trigger(.gracefulShutdown)
        }
    }

    /// The plugin's socket, listening at `path`.
    private static func listen(
        on path: String, config: UnixSocketTransport.Config
    ) throws(PluginError) -> OwnedSocket {
        do {
            return try UnixSocketTransport.Server.listeningSocket(path: path, config: config)
        } catch {
            throw PluginError(
                code: .launchFailed,
                message: "The plugin cannot listen on \(path): \(error). Check that the directory is writable.",
                cause: error
            )
        }
    }

    private func serve(
        _ server: GRPCServer<UnixSocketTransport.Server>,
        on transport: UnixSocketTransport.Server,
        in directory: SocketDirectory,
        version: Int,
        broker: PluginBroker,
        stdout: StdoutCapture
    ) async throws {
        let logger = self.logger
        let socketPath = directory.socketPath
        // Each task says whether its end ends the serving: the server's and the deadline's do, the
        // broker's (which may end early, when it served nothing) does not.
        try await withThrowingTaskGroup(of: Bool.self) { group in
            group.addTask {
                do { try await server.serve() } catch { logger.error("gRPC server failed: \(error)") }
                self.stop.trigger(.serverEnded)
                return true
            }
            group.addTask {
                await broker.run()  // the brokered servers, until the group is cancelled
                return false
            }
            do {
                try await transport.waitUntilListening()
            } catch {
                group.cancelAll()
                throw PluginError(
                    code: .launchFailed,
                    message:
                        "The plugin's server could not serve on its socket \(socketPath), which it had announced: \(error)",
                    cause: error
                )
            }
            // New calls are refused from the moment of the stop: a Shutdown handler's reply goes
            // out with the GOAWAY. A plugin that exits when stopped does so on the event loop
            // that flushes the last reply, its socket files removed first: waking this task for
            // it would cost the host's stop a thread hop. An idle one asked to stop by Shutdown
            // exits in the handler, as go-plugin's do: no reply, no GOAWAY, no tasks woken, each
            // a thread hop on the way to the exit.
            let exitWhenStopped = self.onStopped.map { onStopped -> @Sendable () -> Void in
                {
                    broker.removeSocketFiles()
                    directory.remove()
                    onStopped()
                }
            }
            let refuseNewCalls: @Sendable () -> Void = {
                stdout.finish()
                broker.close()
                server.beginGracefulShutdown()
                if let exitWhenStopped { transport.whenConnectionsClose(exitWhenStopped) }
            }
            if let exitWhenStopped {
                // The Shutdown call itself is in flight.
                self.stop.exitWhenIdle {
                    if transport.callsInFlight <= 1 { exitWhenStopped() }
                }
            }
            logger.debug("plugin serving", metadata: ["address": "\(socketPath)", "version": "\(version)"])
            self.stop.whenTriggered(refuseNewCalls)

            let reason = await self.stop.wait()
            if reason == nil { refuseNewCalls() }
            logger.debug("plugin stopping", metadata: ["reason": "\(reason?.rawValue ?? "cancelled")"])
            // Nothing may connect any more: the socket files and the directory go now, while the
            // last replies drain, not on the way to the exit.
            broker.removeSocketFiles()
            directory.remove()
            // In-flight calls get a moment to finish; then the server is cancelled outright. Either
            // way the other task is cancelled: the deadline once the server is done, or the server.
            group.addTask {
                try? await Task.sleep(for: .milliseconds(1500))
                return true
            }
            while let ends = try await group.next(), !ends {}
            group.cancelAll()
        }
    }
}
