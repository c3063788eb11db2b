import GRPCCore
import Logging
import PlugboardTestSupport
import PlugboardTestV1

/// The echo service, with Get texts that make it misbehave on purpose:
/// - `log:<level>:<message>` first logs `<message>` at that level, like the Go echo-plugin, so hosts
///   can check how plugin log lines are re-levelled;
/// - `sleep:<ms>` answers after that many milliseconds;
/// - `hang` never answers, even when the call is cancelled (a handler stuck for good);
/// - `deadline` answers with the `grpc-timeout` the call arrived with (empty if none).
struct LoggingEcho: Plugboard_Test_V1_Echo.SimpleServiceProtocol {
    let logger: Logger?
    private let echo = EchoService()

    init(logger: Logger?) { self.logger = logger }

    func get(request: EchoRequest, context: ServerContext) async throws -> EchoResponse {
        if request.text.hasPrefix("log:") {
            let parts = request.text.split(separator: ":", maxSplits: 2).map(String.init)
            guard parts.count == 3, let level = Self.levels[parts[1]] else {
                throw RPCError(code: .invalidArgument, message: "expected log:<trace|debug|info|warn|error>:<message>, got \(request.text)")
            }
            self.logger?.log(level: level, "\(parts[2])")
        } else if request.text.hasPrefix("sleep:"), let milliseconds = Int(request.text.dropFirst(6)) {
            try await Task.sleep(for: .milliseconds(milliseconds))
        } else if request.text == "hang" {
            await withCheckedContinuation { (_: CheckedContinuation<Void, Never>) in }
        }
        return try await self.echo.get(request: request, context: context)
    }

    /// Get with the request's metadata, for `deadline`; everything else goes to the simple `get`.
    func get(request: ServerRequest<EchoRequest>, context: ServerContext) async throws -> ServerResponse<EchoResponse> {
        guard request.message.text == "deadline" else {
            return ServerResponse(message: try await self.get(request: request.message, context: context), metadata: [:])
        }
        let timeout = request.metadata[stringValues: "grpc-timeout"].first(where: { _ in true }) ?? ""
        return ServerResponse(message: .echoing(EchoRequest.with { $0.text = timeout }), metadata: [:])
    }

    func collect(request: RPCAsyncSequence<EchoRequest, any Error>, context: ServerContext) async throws -> EchoResponse {
        try await self.echo.collect(request: request, context: context)
    }

    func expand(request: EchoRequest, response: RPCWriter<EchoResponse>, context: ServerContext) async throws {
        try await self.echo.expand(request: request, response: response, context: context)
    }

    func update(request: RPCAsyncSequence<EchoRequest, any Error>, response: RPCWriter<EchoResponse>, context: ServerContext) async throws {
        try await self.echo.update(request: request, response: response, context: context)
    }

    private static let levels: [String: Logger.Level] = [
        "trace": .trace, "debug": .debug, "info": .info, "warn": .warning, "error": .error,
    ]
}
