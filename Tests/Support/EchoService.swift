public import GRPCCore
public import PlugboardTestV1
import ProtobufC

public typealias EchoRequest = Plugboard_Test_V1_EchoRequest
public typealias EchoResponse = Plugboard_Test_V1_EchoResponse

/// The echo service as `echo.proto` describes it; tests, fixture plugins and benchmarks serve it.
public struct EchoService: Plugboard_Test_V1_Echo.SimpleServiceProtocol {
    /// Put in front of Get's text as "<tag>: ", so a test sees which side answered (a brokered
    /// Echo, say); `nil` echoes the text as it came.
    let tag: String?

    public init(tag: String? = nil) {
        self.tag = tag
    }

    public func get(request: EchoRequest, context: ServerContext) async throws -> EchoResponse {
        guard let tag = self.tag else { return .echoing(request) }
        var response = EchoResponse.echoing(request)
        response.text = "\(tag): \(request.text)"
        return response
    }

    public func collect(
        request: RPCAsyncSequence<EchoRequest, any Error>,
        context: ServerContext
    ) async throws -> EchoResponse {
        var response = EchoResponse()
        for try await message in request {
            response.text += message.text
            response.payload += message.payload
            response.sequence &+= message.sequence
        }
        return response
    }

    public func expand(
        request: EchoRequest,
        response: RPCWriter<EchoResponse>,
        context: ServerContext
    ) async throws {
        guard request.sequence >= 0 else {
            throw RPCError(
                code: .invalidArgument, message: "Expand needs a sequence of 0 or more, not \(request.sequence)")
        }
        for index in 0..<request.sequence {
            try await response.write(
                .with {
                    $0.text = request.text
                    $0.payload = request.payload
                    $0.sequence = index
                })
        }
    }

    public func update(
        request: RPCAsyncSequence<EchoRequest, any Error>,
        response: RPCWriter<EchoResponse>,
        context: ServerContext
    ) async throws {
        for try await message in request {
            try await response.write(.echoing(message))
        }
    }
}

extension EchoResponse {
    /// The response that carries the request's fields back.
    public static func echoing(_ request: EchoRequest) -> EchoResponse {
        .with {
            $0.text = request.text
            $0.payload = request.payload
            $0.sequence = request.sequence
        }
    }
}

/// An Echo that answers Get its own way and leaves the streaming methods to ``EchoService``:
/// a conformer writes `get` and names its `echo`.
public protocol EchoWithOwnGet: Plugboard_Test_V1_Echo.SimpleServiceProtocol {
    var echo: EchoService { get }
}

extension EchoWithOwnGet {
    public func collect(
        request: RPCAsyncSequence<EchoRequest, any Error>, context: ServerContext
    ) async throws -> EchoResponse {
        try await self.echo.collect(request: request, context: context)
    }

    public func expand(request: EchoRequest, response: RPCWriter<EchoResponse>, context: ServerContext) async throws {
        try await self.echo.expand(request: request, response: response, context: context)
    }

    public func update(
        request: RPCAsyncSequence<EchoRequest, any Error>, response: RPCWriter<EchoResponse>, context: ServerContext
    ) async throws {
        try await self.echo.update(request: request, response: response, context: context)
    }
}
