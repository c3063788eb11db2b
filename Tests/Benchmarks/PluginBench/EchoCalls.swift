import GRPCCore
import PlugboardTestSupport
import PlugboardTestV1
import ProtobufC

/// The echo calls the workloads are made of, each checking its answers as echo-host does.
struct EchoCalls<Transport: ClientTransport>: Sendable {
    let echo: Plugboard_Test_V1_Echo.Client<Transport>
    /// Whether Get answers may carry a "<who>: " tag before the text, as brokered Echo servers
    /// answer (the Go echo-plugin's "go-plugin: ", bench-echo-plugin's "swift-plugin: ").
    let tagged: Bool

    /// The options of every Get: its deadline, if the bench gives one (`-call-deadline`).
    let getOptions: CallOptions

    init(wrapping client: GRPCClient<Transport>, tagged: Bool = false, deadline: Duration? = nil) {
        self.echo = Plugboard_Test_V1_Echo.Client(wrapping: client)
        self.tagged = tagged
        var options = CallOptions.defaults
        options.timeout = deadline
        self.getOptions = options
    }

    /// One Get, checked.
    func get(_ request: EchoRequest) async throws {
        let response = try await self.echo.get(request, options: self.getOptions)
        if self.tagged {
            try checkTaggedEcho(request, response, "Get")
        } else {
            try checkEcho(request, response, "Get")
        }
    }

    /// Sends `count` messages over one Update stream while the answers are received and checked in
    /// order (the warm-up's streaming pass).
    func update(count: Int, payload: [UInt8]) async throws {
        let received = try await self.echo.update { writer in
            for index in 0..<count {
                try await writer.write(
                    .with {
                        $0.text = "update"; $0.payload = payload; $0.sequence = Int64(index)
                    })
            }
        } onResponse: { response in
            try await countNumbered(response.messages, text: "update", payload: payload, what: "Update")
        }
        guard received == count else { throw BenchError("Update: sent \(count) messages, got \(received) answers") }
    }

    /// Streams `count` messages to Collect without waiting and checks the one answer. Texts are
    /// empty so the answer (texts and payloads concatenated) stays small.
    func collect(count: Int, payload: [UInt8]) async throws {
        let response = try await self.echo.collect { writer in
            for index in 0..<count {
                try await writer.write(
                    .with {
                        $0.payload = payload; $0.sequence = Int64(index)
                    })
            }
        }
        let sum = Int64(count * (count - 1) / 2)
        guard response.sequence == sum, response.payload.count == count * payload.count else {
            throw BenchError(
                "Collect: want sequence sum \(sum) and \(count * payload.count) payload bytes, got \(response.sequence) and \(response.payload.count)"
            )
        }
    }

    /// Asks Expand for `count` answers and checks that they arrive numbered 0 ..< count.
    func expand(count: Int, payload: [UInt8]) async throws {
        let received = try await self.echo.expand(
            .with {
                $0.text = "expand"; $0.payload = payload; $0.sequence = Int64(count)
            }
        ) { response in
            try await countNumbered(response.messages, text: "expand", payload: payload, what: "Expand")
        }
        guard received == count else { throw BenchError("Expand: asked for \(count) answers, got \(received)") }
    }
}

/// Counts `messages`, checking that each carries `text`, `payload` and its own index as sequence.
func countNumbered(_ messages: RPCAsyncSequence<EchoResponse, any Error>, text: String, payload: [UInt8], what: String)
    async throws -> Int
{
    var received = 0
    for try await message in messages {
        let expected = EchoRequest.with {
            $0.text = text; $0.payload = payload; $0.sequence = Int64(received)
        }
        try checkEcho(expected, message, "\(what) answer \(received)")
        received += 1
    }
    return received
}

/// Fails unless `response` carries `request`'s fields, its text either unchanged or with a
/// "<who>: " tag in front (echo-host's checkTaggedEcho).
func checkTaggedEcho(_ request: EchoRequest, _ response: EchoResponse, _ what: @autoclosure () -> String)
    throws(BenchError)
{
    guard response.text == request.text || response.text.hasSuffix(": " + request.text) else {
        throw BenchError(
            "\(what()): echo mismatch: sent text=\"\(request.text)\", got text=\"\(response.text)\" (neither the same nor tagged \"<who>: \")"
        )
    }
    var untagged = response
    untagged.text = request.text
    try checkEcho(request, untagged, what())
}

/// Fails unless `response` carries `request`'s fields unchanged.
func checkEcho(_ request: EchoRequest, _ response: EchoResponse, _ what: @autoclosure () -> String) throws(BenchError) {
    guard response.text == request.text, response.payload == request.payload, response.sequence == request.sequence
    else {
        throw BenchError(
            "\(what()): echo mismatch: sent text=\"\(request.text)\" payload=\(request.payload.count) bytes sequence=\(request.sequence), got text=\"\(response.text)\" payload=\(response.payload.count) bytes sequence=\(response.sequence)"
        )
    }
}
