import GRPCCore
import GoPluginProtos

/// `plugin.GRPCStdio`: streams whatever the plugin writes to its stdout after the handshake.
struct StdioService: Plugin_GRPCStdio.SimpleServiceProtocol {
    let stdout: StdoutCapture

    func streamStdio(
        request: Google_Protobuf_Empty,
        response: RPCWriter<Plugin_StdioData>,
        context: ServerContext
    ) async throws {
        for await chunk in self.stdout.chunks() {
            try await response.write(
                .with {
                    $0.channel = .stdout
                    $0.data = chunk
                })
        }
    }
}
