import GRPCCore
import GoPluginProtos

/// `grpc.health.v1.Health`: "plugin" (go-plugin's name) and "" report SERVING; other names are NOT_FOUND.
struct HealthService: Grpc_Health_V1_Health.SimpleServiceProtocol {
    func check(request: Grpc_Health_V1_HealthCheckRequest, context: ServerContext) async throws
        -> Grpc_Health_V1_HealthCheckResponse
    {
        guard request.service == "plugin" || request.service.isEmpty else {
            throw RPCError(
                code: .notFound, message: "unknown service \"\(request.service)\"; this plugin reports on \"plugin\"")
        }
        return .with { $0.status = .serving }
    }

    func watch(
        request: Grpc_Health_V1_HealthCheckRequest,
        response: RPCWriter<Grpc_Health_V1_HealthCheckResponse>,
        context: ServerContext
    ) async throws {
        _ = try await self.check(request: request, context: context)
        try await response.write(.with { $0.status = .serving })
        while !Task.isCancelled { try await Task.sleep(for: .seconds(3600)) }
    }
}
