import GRPCCore
import Logging
import PlugboardBroker
import PlugboardCore
import PlugboardTransport
import ProtobufC

extension PluginHost {
    /// What follows a verified handshake, for a plugin the host started and one it attached to
    /// alike: the transport (whose every connection, reconnections included, checks the socket's
    /// peer again) with its call watcher and failure explainer, the broker (its sockets in `directory`), and the session
    /// that runs `body`. `socket` is the connection `PeerCheck.verify` judged, on which no byte
    /// went out yet: the transport's first connection.
    static func connect<Result: Sendable>(
        _ spec: PluginSpec,
        process: PluginProcess,
        handshake: Handshake,
        socket: OwnedSocket,
        tls: BrokerTLS?,
        directory: PrivateDirectory,
        instrumentation: HostInstrumentation,
        logger: Logger,
        isolation: isolated (any Actor)?,
        _ body: (RunningPlugin) async throws -> Result
    ) async throws -> Result {
        let peerCheck: UnixSocketTransport.Client.PeerCheck = {
            [socket = handshake.socketPath, owner = process.handle] pid, uid in
            try PeerCheck.judge(pid: pid, uid: uid, socketPath: socket, owner: owner)  // again on every reconnection
        }
        let explainer = PluginFailureExplainer(plugin: spec.name, path: spec.path, process: process)
        let transport = UnixSocketTransport.Client(
            path: handshake.socketPath, config: RunningPlugin.transportConfig, peerCheck: peerCheck, tls: tls?.client,
            watcher: instrumentation.calls, explainer: explainer, connectedSocket: socket)
        let broker = PluginBroker(
            peer: .plugin(name: spec.name, path: spec.path), socketDirectory: directory.path, tls: tls,
            dialCheck: peerCheck, watcher: instrumentation.calls, explainer: explainer
        )
        return try await DirectRoute.withClient(transport: transport, isolation: isolation) {
            client in
            try await Self.session(
                spec, process: process, handshake: handshake, transport: transport, client: client, broker: broker,
                logger: logger, isolation: isolation, body
            )
        }
    }
}
