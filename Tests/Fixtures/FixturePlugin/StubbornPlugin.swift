import GRPCCore
import GoPluginProtos
import PlugboardCore
import PlugboardTestSupport
import PlugboardTransport

#if canImport(Glibc)
import Glibc
#endif

/// A plugin that answers Shutdown but keeps running, and ignores SIGTERM: only SIGKILL ends it.
enum StubbornPlugin {
    static func serve(socketDirectory: String) async {
        signal(SIGTERM, SIG_IGN)
        signal(SIGINT, SIG_IGN)
        let path = "\(socketDirectory)/stubborn-\(getpid()).sock"
        let transport = UnixSocketTransport.Server(path: path)
        await HandMadeServer.serve(
            transport, services: [Health(), IgnoringController(), EchoService()],
            handshake: Handshake(appProtocolVersion: 1, socketPath: path)
        )
    }

    struct Health: Grpc_Health_V1_Health.SimpleServiceProtocol {
        func check(request: Grpc_Health_V1_HealthCheckRequest, context: ServerContext) async throws
            -> Grpc_Health_V1_HealthCheckResponse
        {
            .with { $0.status = .serving }
        }

        func watch(
            request: Grpc_Health_V1_HealthCheckRequest, response: RPCWriter<Grpc_Health_V1_HealthCheckResponse>,
            context: ServerContext
        ) async throws {
            try await response.write(.with { $0.status = .serving })
        }
    }

    struct IgnoringController: Plugin_GRPCController.SimpleServiceProtocol {
        func shutdown(request: Plugin_Empty, context: ServerContext) async throws -> Plugin_Empty { Plugin_Empty() }
    }
}
