import GRPCCore
import InMemoryTracing
import Logging
import PlugboardPlugin
import PlugboardTestSupport
import PlugboardTestV1
import Tracing

/// The echo service, with Get texts that make it misbehave on purpose:
/// - `log:<level>:<message>` first logs `<message>` at that level, like the Go echo-plugin, so hosts
///   can check how plugin log lines are re-levelled;
/// - `sleep:<ms>` answers after that many milliseconds;
/// - `hang` never answers, even when the call is cancelled (a handler stuck for good);
/// - `deadline` answers with the `grpc-timeout` the call arrived with (empty if none);
/// and Get texts that use go-plugin's broker, as the Go echo-plugin does:
/// - `call-back:<id>` dials the host's broker id, calls its Echo `Get("from the plugin")`, and
///   answers with that reply's text;
/// - `serve-back` serves an Echo under a new broker id and answers with the id;
/// and Get texts that show what the SDK made of the host's call metadata:
/// - `request-id` answers with the call's request id (`PluginCall.requestID`);
/// - `trace` answers `<trace id> <span id> <parent span id>` of the span the handler runs in
///   (with `PLUGBOARD_FIXTURE_TRACING=1`, which bootstraps an in-memory tracer), or `untraced`.
struct LoggingEcho: EchoWithOwnGet {
    let logger: Logger?
    let broker: PluginBroker?
    let echo = EchoService()

    init(logger: Logger?, broker: PluginBroker? = nil) {
        self.logger = logger
        self.broker = broker
    }

    func get(request: EchoRequest, context: ServerContext) async throws -> EchoResponse {
        if let broker = self.broker, let answer = try await Self.brokered(request.text, broker: broker) {
            return .with {
                $0.text = answer; $0.sequence = request.sequence
            }
        }
        if request.text == "request-id" {
            return .with {
                $0.text = PluginCall.requestID ?? "none"; $0.sequence = request.sequence
            }
        }
        if request.text == "trace" {
            let span = InstrumentationContext.current?.inMemorySpanContext
            let text = span.map { "\($0.traceID) \($0.spanID) \($0.parentSpanID ?? "none")" } ?? "untraced"
            return .with {
                $0.text = text; $0.sequence = request.sequence
            }
        }
        if request.text.hasPrefix("log:") {
            let parts = request.text.split(separator: ":", maxSplits: 2).map(String.init)
            guard parts.count == 3, let level = Self.levels[parts[1]] else {
                throw RPCError(
                    code: .invalidArgument,
                    message: "expected log:<trace|debug|info|warn|error>:<message>, got \(request.text)")
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
            return ServerResponse(
                message: try await self.get(request: request.message, context: context), metadata: [:])
        }
        let timeout = request.metadata[stringValues: "grpc-timeout"].first(where: { _ in true }) ?? ""
        return ServerResponse(message: .echoing(EchoRequest.with { $0.text = timeout }), metadata: [:])
    }

    /// The broker texts' answers, or `nil` for any other text.
    private static func brokered(_ text: String, broker: PluginBroker) async throws -> String? {
        if text.hasPrefix("call-back:") {
            guard let id = UInt32(text.dropFirst("call-back:".count)) else {
                throw RPCError(code: .invalidArgument, message: "expected call-back:<broker id>, got \(text)")
            }
            return try await broker.withClient(id: id) { client in
                try await Plugboard_Test_V1_Echo.Client(wrapping: client).get(.with { $0.text = "from the plugin" })
                    .text
            }
        }
        guard text == "serve-back" else { return nil }
        let id = broker.nextID()
        try await broker.serve(id: id, services: [EchoService()])
        return "\(id)"
    }

    private static let levels: [String: Logger.Level] = [
        "trace": .trace, "debug": .debug, "info": .info, "warn": .warning, "error": .error,
    ]
}
