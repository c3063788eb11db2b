import Logging
import PlugboardCore

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

#if canImport(Glibc)
import Glibc
#endif

extension PluginHost {
    /// `withPlugin` for a spec with a reattach record (protocol §11): no spawn, no environment, no
    /// handshake line. Checks the record (protocol `grpc`, a version the spec accepts), that its
    /// pid runs, that its socket exists and that exactly that pid, as the host's user, listens
    /// there; then connects, health-checks and runs `body` as for a plugin it started. At the end
    /// the plugin is left running, unless the record says `killOnStop`: then `Shutdown`, 2 s,
    /// SIGTERM, 1 s, SIGKILL. A process that failed the checks is never signalled.
    static func withAttachedPlugin<Result: Sendable>(
        _ spec: PluginSpec,
        record: ReattachRecord,
        instrumentation: HostInstrumentation,
        logger: Logger,
        isolation: isolated (any Actor)?,
        _ body: (RunningPlugin) async throws -> Result
    ) async throws -> Result {
        func context(_ error: PluginError) -> PluginError {
            error.withContext(pluginName: spec.name, executablePath: spec.path, pid: record.pid)
        }
        let attached: AttachedProcess
        do {
            attached = try Self.attach(spec, record: record)
        } catch {
            throw context(error)
        }
        defer { attached.stopWatching() }
        let handshake = Handshake(appProtocolVersion: record.appProtocolVersion, socketPath: record.socketPath)
        let process = PluginProcess(handle: .attached(attached), stderr: StderrForwarder(logger: logger))
        var verified = false
        do {
            // Before the transport sends a byte, on the connection it then uses.
            let socket = try await PeerCheck.verify(record.socketPath, owner: process.handle)
            verified = true
            let directory = try PrivateDirectory(for: spec.name)  // for the broker's sockets
            defer { directory.remove() }
            logger.info(
                "attached to a running plugin",
                metadata: ["plugin.socket": "\(record.socketPath)", "plugin.version": "\(record.appProtocolVersion)"])
            let result = try await Self.connect(
                spec, process: process, handshake: handshake, socket: socket, tls: nil, directory: directory,
                instrumentation: instrumentation,
                logger: logger, isolation: isolation, body
            )
            await Self.release(attached, afterShutdown: true, logger: logger)
            return result
        } catch {
            if verified { await Self.release(attached, afterShutdown: false, logger: logger) }
            if let error = error as? PluginError { throw context(error) }
            throw error
        }
    }

    /// The checks that need no connection, in the order a person fixes them: the record itself,
    /// AutoMTLS, the version, the process, the socket file. Returns the process, watched.
    private static func attach(_ spec: PluginSpec, record: ReattachRecord) throws(PluginError) -> AttachedProcess {
        try record.validate()
        guard !spec.autoMTLS else {
            throw .invalidReattach(
                "is combined with AutoMTLS (`autoMTLS: true`), but a host that attaches starts nothing, so it cannot give the plugin its certificate; turn AutoMTLS off for this plugin while you debug it"
            )
        }
        guard spec.handshake.appProtocolVersions.contains(record.appProtocolVersion) else {
            throw .reattachVersionUnsupported(record.appProtocolVersion, accepted: spec.handshake.appProtocolVersions)
        }
        let process = try AttachedProcess(pid: record.pid, killOnStop: record.killOnStop)
        var status = stat()
        if stat(record.socketPath, &status) != 0 {
            process.stopWatching()
            throw .reattachSocketUnreachable(
                record.socketPath, pid: record.pid,
                reason: "there is no such file (\(String(cString: strerror(errno))))")
        }
        if status.st_mode & S_IFMT != S_IFSOCK {
            process.stopWatching()
            throw .reattachSocketUnreachable(record.socketPath, pid: record.pid, reason: "it is not a unix socket")
        }
        return process
    }

    /// Leaves the plugin running, or, with `killOnStop`, stops it: after a `Shutdown` up to 2 s for
    /// the exit, then SIGTERM and 1 s, then SIGKILL.
    private static func release(_ process: AttachedProcess, afterShutdown: Bool, logger: Logger) async {
        guard process.killOnStop else {
            logger.info("left the attached plugin running (the host did not start it)")
            return
        }
        if afterShutdown, await process.waitForEnd(timeout: .seconds(2)) {
            logger.debug("the attached plugin exited after Shutdown")
            return
        }
        process.send(SIGTERM)
        if await process.waitForEnd(timeout: .seconds(1)) { return }
        logger.warning("the attached plugin ignored SIGTERM; sending SIGKILL")
        process.send(SIGKILL)
        _ = await process.waitForEnd(timeout: .seconds(1))
    }
}
