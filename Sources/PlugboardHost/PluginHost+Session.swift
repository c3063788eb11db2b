import GRPCCore
import GoPluginProtos
import Logging
import PlugboardBroker
import PlugboardCore
import PlugboardTransport

#if canImport(Glibc)
import Glibc
#endif

extension PluginHost {
    /// Health-checks the plugin, keeps its stdio and broker streams open and drained, and runs `body`.
    static func session<Result: Sendable>(
        _ spec: PluginSpec,
        process: PluginProcess,
        handshake: Handshake,
        transport: UnixSocketTransport.Client,
        client: GRPCClient<UnixSocketTransport.Client>,
        broker: PluginBroker,
        logger: Logger,
        isolation: isolated (any Actor)?,
        _ body: (RunningPlugin) async throws -> Result
    ) async throws -> Result {
        do {
            _ = try await Grpc_Health_V1_Health.Client(wrapping: client).check(
                .with { $0.service = "plugin" }, options: .deadline(max(.seconds(10), spec.startTimeout)))
        } catch let error as RPCError where error.cause is HTTP2ProtocolViolation {
            throw PluginError.protocolViolation(
                error.cause as! HTTP2ProtocolViolation, socketPath: handshake.socketPath)
        } catch let error as RPCError where error.cause is TLSHandshakeFailure {
            let failure = error.cause as! TLSHandshakeFailure
            throw PluginError.tlsHandshakeFailed(
                socketPath: handshake.socketPath, reason: failure.reason, cause: failure)
        } catch {
            throw PluginError(
                code: .connectionFailed,
                message:
                    "The plugin printed a valid handshake but its health check on \(handshake.socketPath) failed: \(error). Check the plugin's log above.",
                cause: error)
        }
        return try await withThrowingTaskGroup(of: Void.self, returning: Result.self, isolation: isolation) { streams in
            streams.addTask { await Self.drainStdio(client, logger: logger) }
            streams.addTask { await Self.brokerStream(client, broker: broker) }
            streams.addTask { await broker.run() }
            let plugin = RunningPlugin(
                name: spec.name, path: spec.path, pid: process.handle.pid,
                negotiatedVersion: handshake.appProtocolVersion,
                socketPath: handshake.socketPath, client: client, broker: broker, transport: transport, process: process
            )
            defer {
                broker.close()
                streams.cancelAll()
            }
            let result = try await body(plugin)
            // Not to a plugin it only attached to.
            if process.handle.stopsWithHost { await Self.requestShutdown(client, logger: logger) }
            return result
        }
    }

    /// `GRPCStdio/StreamStdio`: the plugin's stray stdout, logged at debug. Plugins without the
    /// service (go-plugin before v1.1) answer UNIMPLEMENTED, which is fine.
    private static func drainStdio(_ client: GRPCClient<UnixSocketTransport.Client>, logger: Logger) async {
        try? await Plugin_GRPCStdio.Client(wrapping: client).streamStdio(Google_Protobuf_Empty()) { response in
            for try await chunk in response.messages {
                logger.debug(
                    "plugin stdout", metadata: ["plugin.output": "\(String(decoding: chunk.data, as: UTF8.self))"])
            }
        }
    }

    /// `GRPCBroker/StartStream`, opened as go-plugin hosts do: the host's announcements go out on
    /// it, the plugin's come in, until the session ends.
    private static func brokerStream(_ client: GRPCClient<UnixSocketTransport.Client>, broker: PluginBroker) async {
        try? await Plugin_GRPCBroker.Client(wrapping: client).startStream(
            request: StreamingClientRequest { writer in
                for await info in broker.outgoing { try await writer.write(info) }
            }
        ) { response in
            for try await info in response.messages { broker.received(info) }
        }
    }

    /// `GRPCController/Shutdown` with a deadline; UNAVAILABLE counts as success (the plugin may
    /// close the connection before the reply arrives, as Go plugins do).
    private static func requestShutdown(_ client: GRPCClient<UnixSocketTransport.Client>, logger: Logger) async {
        do {
            _ = try await Plugin_GRPCController.Client(wrapping: client).shutdown(
                Plugin_Empty(), options: .deadline(.seconds(1)))
        } catch let error as RPCError where error.code == .unavailable {
        } catch {
            logger.debug("Shutdown call failed; the plugin will be signalled", metadata: ["error": "\(error)"])
        }
    }

    /// After Shutdown: up to 2 s for the exit, then SIGTERM and 1 s, then SIGKILL; always reaped.
    static func stop(_ child: ChildProcess, spec: PluginSpec, logger: Logger) async {
        if let termination = await child.wait(timeout: .seconds(2)) {
            logger.debug("plugin exited", metadata: ["plugin.exit": "\(termination)"])
            return
        }
        logger.info("plugin did not exit after Shutdown; sending SIGTERM")
        child.send(SIGTERM)
        if await child.wait(timeout: .seconds(1)) != nil { return }
        logger.warning("plugin ignored SIGTERM; sending SIGKILL")
        await child.killTree()
    }
}

extension PluginError {
    /// The plugin broke HTTP/2 on its connection (the transport closed it): says what it did.
    static func protocolViolation(_ violation: HTTP2ProtocolViolation, socketPath: String) -> PluginError {
        PluginError(
            code: .protocolViolation,
            message:
                "the plugin broke the HTTP/2 protocol: \(violation.reason); the host closed its connection on \(socketPath) (GOAWAY \(violation.goAwayCode)).",
            cause: violation
        )
    }
}

extension CallOptions {
    static func deadline(_ timeout: Duration) -> CallOptions {
        var options = CallOptions.defaults
        options.timeout = timeout
        return options
    }
}
