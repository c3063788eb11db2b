import GRPCCore
import GoPluginProtos
public import Logging
import PlugboardBroker
import PlugboardCore
public import PlugboardObservability
import PlugboardTransport

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

#if canImport(Glibc)
import Glibc
#endif

/// Starts plugins and talks to them.
public enum PluginHost {
    /// Starts the plugin, waits for its handshake, connects and health-checks it, runs `body`, then
    /// stops it (Shutdown, then SIGTERM, then SIGKILL) whether `body` returns or throws. The process
    /// is always reaped and its socket directory removed.
    ///
    /// With a reattach record in `spec`, it attaches to that running plugin instead: nothing is
    /// started, the record's pid must be the process listening on its socket, and the plugin is
    /// left running at the end unless the record says `killOnStop` (see ``PluginSpec/reattach``).
    ///
    /// ```swift
    /// try await PluginHost.withPlugin(PluginSpec(path: "assets/ratelimit-plugin"), logger: logger) { plugin in
    ///     let rateLimit = Ratelimit_V1_RateLimiter.Client(wrapping: plugin.client)
    ///     …
    /// }
    /// ```
    ///
    /// Every call through the plugin's client is counted, timed and traced through
    /// `observability` (see `PluginObservability`), and carries a request id.
    ///
    /// - Throws: `PluginError` naming the plugin and its path when it cannot be started (or
    ///   attached to), its handshake is invalid, or it does not answer; otherwise whatever `body` throws.
    public static func withPlugin<Result: Sendable>(
        _ spec: PluginSpec,
        observability: PluginObservability = .system(),
        logger: Logger,
        isolation: isolated (any Actor)? = #isolation,
        _ body: (RunningPlugin) async throws -> Result
    ) async throws -> Result {
        var logger = logger
        logger[metadataKey: "plugin.name"] = "\(spec.name)"
        let instrumentation = HostInstrumentation(
            plugin: spec.name, observability: observability, logger: logger, supervised: false)
        return try await Self.withPlugin(
            spec, instrumentation: instrumentation, logger: logger, isolation: isolation, body)
    }

    /// `withPlugin` reporting to `instrumentation` (a supervisor's, across its restarts).
    static func withPlugin<Result: Sendable>(
        _ spec: PluginSpec,
        instrumentation: HostInstrumentation,
        logger: Logger,
        isolation: isolated (any Actor)?,
        _ body: (RunningPlugin) async throws -> Result
    ) async throws -> Result {
        var logger = logger
        logger[metadataKey: "plugin.name"] = "\(spec.name)"
        if let record = spec.reattach {
            logger[metadataKey: "plugin.pid"] = "\(record.pid)"
            return try await Self.withAttachedPlugin(
                spec, record: record, instrumentation: instrumentation, logger: logger, isolation: isolation, body)
        }
        if let expected = spec.sha256 {
            try Checksum.verify(spec, expected: expected)
        }
        let autoMTLS = try HostAutoMTLS.make(for: spec)
        let directory = try PrivateDirectory(for: spec.name)
        let child: ChildProcess
        do {
            let environment = Self.environment(for: spec, directory: directory, autoMTLS: autoMTLS)
            child = try ChildProcess(path: spec.path, arguments: spec.arguments, environment: environment)
        } catch {
            directory.remove()
            throw error.withContext(pluginName: spec.name, executablePath: spec.path)
        }
        logger[metadataKey: "plugin.pid"] = "\(child.pid)"
        child.logPlacement(logger)
        let stdout = StdoutReader(metrics: instrumentation.lifecycle)
        let stderr = StderrForwarder(logger: logger)
        func context(_ error: PluginError) -> PluginError {
            var error = error.withContext(pluginName: spec.name, executablePath: spec.path, pid: child.pid)
            error.termination = error.termination ?? child.termination
            if error.stderrTail.isEmpty { error.stderrTail = stderr.tail }
            return error
        }

        return try await withThrowingTaskGroup(of: Void.self, returning: Result.self, isolation: isolation) { pipes in
            pipes.addTask { await stdout.run(child.stdout, drops: child.stdoutDrops) }
            pipes.addTask {
                await stderr.run(child.stderr, drops: child.stderrDrops, metrics: instrumentation.lifecycle)
            }
            let handshake: Handshake
            do {
                handshake = try await Self.awaitHandshake(spec, child: child, stdout: stdout)
            } catch let error as PluginError {
                await Self.kill(child)
                directory.remove()
                try? await pipes.waitForAll()  // stderr fully read, so the error carries its last lines
                throw context(error)
            }
            logger.debug(
                "plugin started",
                metadata: [
                    "plugin.version": "\(handshake.appProtocolVersion)", "plugin.socket": "\(handshake.socketPath)",
                ])
            do {
                let tls = try HostAutoMTLS.clientTLS(autoMTLS, for: handshake)
                let process = PluginProcess(handle: .started(child), stderr: stderr)
                // Before the transport sends a byte, on the connection it then uses.
                let socket = try await PeerCheck.verify(handshake.socketPath, owner: process.handle)
                let result = try await Self.connect(
                    spec, process: process, handshake: handshake, socket: socket, tls: tls, directory: directory,
                    instrumentation: instrumentation,
                    logger: logger, isolation: isolation, body
                )
                // The plugin has closed its connection and is on its way out: its directory goes
                // while it exits (an ext4 rmdir takes a tenth of a millisecond or more).
                directory.remove()
                await Self.stop(child, spec: spec, logger: logger)
                await child.killTree()  // what the plugin left behind, and its cgroup
                try? await pipes.waitForAll()
                return result
            } catch {
                await Self.kill(child)
                directory.remove()
                try? await pipes.waitForAll()
                if let error = error as? PluginError { throw context(error) }
                throw error
            }
        }
    }

    /// The host's environment, then the handshake variables, the socket directory, the spec's own,
    /// the host's AutoMTLS certificate if asked for, and the host's pid (so a plugin behind a wrapper
    /// such as `sh -c` can watch the host itself).
    private static func environment(for spec: PluginSpec, directory: PrivateDirectory, autoMTLS: HostAutoMTLS?)
        -> [String: String]
    {
        var environment = ProcessInfo.processInfo.environment
        environment.removeValue(forKey: PluginEnvironment.multiplexGRPC)  // never offered
        environment.removeValue(forKey: PluginEnvironment.clientCertificate)  // only this host's own
        environment.merge(spec.handshake.hostEnvironment) { $1 }
        environment[PluginEnvironment.unixSocketDirectory] = directory.path
        environment.merge(spec.environment) { $1 }
        environment.merge(autoMTLS?.environment ?? [:]) { $1 }
        environment[PluginEnvironment.hostPID] = String(getpid())
        return environment
    }

    private static func kill(_ child: ChildProcess) async {
        await child.killTree()
    }
}
