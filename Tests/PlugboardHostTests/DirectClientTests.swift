import GRPCCore
import PlugboardHost
import PlugboardTestSupport
import PlugboardTestV1
import PlugboardTesting
import PlugboardTransport
import ProtobufC
import Synchronization
import Testing

@Suite("Which clients make calls straight on their transport", .timeLimit(.minutes(1)))
struct DirectClientTests {
    @Test("a client Plugboard made, while it runs; not once it stopped, and never one the user made")
    func clientsPlugboardMade() async throws {
        let made = Mutex<GRPCClient<UnixSocketTransport.Client>?>(nil)
        try await withInProcessPlugin(serving: [EchoService()]) { client async throws in
            made.withLock { $0 = client }
            #expect(DirectClient(client).callsDirectly)
            let echo = Plugboard_Test_V1_Echo.Client(wrapping: client)
            #expect(try await echo.get(.with { $0.sequence = 7 }).sequence == 7)
            // A request too large to write before reading is written alongside, and arrives whole.
            let large = String(repeating: "x", count: 100_000)
            #expect(try await echo.get(.with { $0.text = large }).text == large)
        }
        let stopped = try #require(made.withLock { $0 })
        #expect(!DirectClient(stopped).callsDirectly)
        let error = await #expect(throws: RuntimeError.self, "GRPCClient's own error") {
            try await Plugboard_Test_V1_Echo.Client(wrapping: stopped).get(.init())
        }
        #expect(error?.code == .clientIsStopped)

        let own = GRPCClient(transport: UnixSocketTransport.Client(path: "/nonexistent.sock"))
        #expect(!DirectClient(own).callsDirectly)
    }

    @Test(
        "a supervisor's client, while it runs, its calls timed by the transport with the policy's deadline; not once it stopped"
    )
    func supervisorsClient() async throws {
        let supervisor = try await SupervisionHarness.withFixture { supervisor, _ in
            #expect(DirectClient(supervisor.client).callsDirectly)
            let caller = currentTask()
            let handledIn = try await Plugboard_Test_V1_Echo.Client(wrapping: supervisor.client).get(
                .with { $0.text = "direct" }
            ) { response in
                let message = try response.message
                #expect(message.text == "direct")
                return currentTask()
            }
            #expect(handledIn == caller, "handled in another task, as GRPCCore's deadline race handles it")
            return supervisor
        }
        #expect(!DirectClient(supervisor.client).callsDirectly)
    }

    @Test("a client its user stops refuses calls with GRPCClient's own error, its route still open")
    func stoppedByItsUser() async throws {
        try await withInProcessPlugin(serving: [EchoService()]) { client async throws in
            let echo = Plugboard_Test_V1_Echo.Client(wrapping: client)
            #expect(try await echo.get(.with { $0.sequence = 1 }).sequence == 1)
            client.beginGracefulShutdown()
            #expect(!DirectClient(client).callsDirectly)
            let error = await #expect(throws: RuntimeError.self) { try await echo.get(.init()) }
            #expect(error?.code == .clientIsStopped)
        }
    }

    @Test("a call with a timeout goes straight on the transport too: its response is handled in the calling task")
    func timedCallsGoDirect() async throws {
        try await withInProcessPlugin(serving: [EchoService()]) { client async throws in
            var options = CallOptions.defaults
            options.timeout = .seconds(30)
            let caller = currentTask()
            let direct = try await Plugboard_Test_V1_Echo.Client(wrapping: client).get(
                .with { $0.sequence = 3 }, options: options
            ) { response in
                let message = try response.message
                #expect(message.sequence == 3)
                return currentTask()
            }
            #expect(direct == caller, "handled in another task, as GRPCCore's deadline race handles it")
            // GRPCClient's own unary call races a sleeping task: its handler runs in a child task.
            let raced = try await client.unary(
                request: ClientRequest(message: EchoRequest.with { $0.sequence = 4 }),
                descriptor: Plugboard_Test_V1_Echo.Method.Get.descriptor,
                serializer: ProtobufSerializer<EchoRequest>(), deserializer: ProtobufDeserializer<EchoResponse>(),
                options: options
            ) { _ in currentTask() }
            #expect(raced != caller)
        }
    }

    // On a busy machine the server can see the deadline pass, or the client's RST_STREAM, before
    // it runs the handler at all: then no handler is cancelled. So the server stops (and waits for
    // every handler it started) before the check, and a longer deadline is tried until one ran.
    @Test("a direct call whose deadline passes throws GRPCCore's error on time, and its handler is cancelled")
    func timedOutDirectCall() async throws {
        for timeout in [Duration.milliseconds(200), .seconds(1), .seconds(5)] {
            let probe = SlowGet()
            try await withInProcessPlugin(serving: [probe]) { client async throws in
                #expect(DirectClient(client).callsDirectly)
                var options = CallOptions.defaults
                options.timeout = timeout
                let started = ContinuousClock.now
                let error = await #expect(throws: RPCError.self) {
                    try await Plugboard_Test_V1_Echo.Client(wrapping: client).get(.init(), options: options)
                }
                let took = ContinuousClock.now - started
                #expect(error?.code == .deadlineExceeded)
                #expect(error?.message == "RPC timed out before completing")
                #expect(took >= timeout && took < timeout + .seconds(20))
                // The connection is fine for the next call.
                #expect(try await Plugboard_Test_V1_Echo.Client(wrapping: client).collect { _ in }.sequence == 0)
            }
            let (started, cancelled) = probe.counts.value.withLock { ($0.started, $0.cancelled) }
            #expect(cancelled == started)
            if started > 0 { return }
        }
        Issue.record("The server never ran the handler before the deadline passed, even with 5 s to do so.")
    }

    @Test(
        "a server-streaming call goes straight on the transport: the same messages, metadata, trailers and errors as GRPCClient's own call"
    )
    func serverStreamingGoesDirect() async throws {
        try await withInProcessPlugin(serving: [EchoService()]) { client async throws in
            let echo = Plugboard_Test_V1_Echo.Client(wrapping: client)
            for request in [
                EchoRequest.with { $0.sequence = 0 }, .with { $0.sequence = 3 }, .with { $0.sequence = 2_000 },
                .with { $0.sequence = -1 },  // refused by the handler, after the response's metadata
                .with {  // too large to write before reading: through the GRPCClient
                    $0.sequence = 2
                    $0.payload = Array(repeating: 7, count: 100_000)
                },
            ] {
                let direct = try await echo.expand(request) { try await ExpandOutcome($0) }
                let own = try await client.serverStreaming(
                    request: ClientRequest(message: request),
                    descriptor: Plugboard_Test_V1_Echo.Method.Expand.descriptor,
                    serializer: ProtobufSerializer<EchoRequest>(), deserializer: ProtobufDeserializer<EchoResponse>(),
                    options: .defaults
                ) { try await ExpandOutcome($0) }
                #expect(direct == own, "sequence \(request.sequence)")
                #expect(direct.bodyParts.contains("DirectBodyParts") == (request.payload.count < 32 * 1024))
                #expect(own.bodyParts.contains("RawBodyPartToMessageSequence"))
            }
            // A method the server doesn't have: refused in a trailers-only response, the same both ways.
            let missing = MethodDescriptor(fullyQualifiedService: "plugboard.test.v1.Echo", method: "Missing")
            let refusedDirectly = try await DirectClient(client).serverStreaming(
                request: ClientRequest(message: EchoRequest()), descriptor: missing,
                serializer: ProtobufSerializer<EchoRequest>(), deserializer: ProtobufDeserializer<EchoResponse>(),
                options: .defaults
            ) { try await ExpandOutcome($0) }
            let refused = try await client.serverStreaming(
                request: ClientRequest(message: EchoRequest()), descriptor: missing,
                serializer: ProtobufSerializer<EchoRequest>(), deserializer: ProtobufDeserializer<EchoResponse>(),
                options: .defaults
            ) { try await ExpandOutcome($0) }
            #expect(refusedDirectly == refused)
            #expect(refused.error?.hasPrefix("unimplemented") == true)
            // A handler that returns early resets the stream; the connection takes the next call.
            let first = try await echo.expand(.with { $0.sequence = 100_000 }) { response in
                for try await message in response.messages { return message.sequence }
                return -1
            }
            #expect(first == 0)
            #expect(try await echo.get(.with { $0.sequence = 9 }).sequence == 9)
        }
    }

    @Test("grpc-timeout as GRPCCore encodes it: at most eight digits, in the finest unit that holds them, rounded up")
    func grpcTimeoutEncoding() {
        let cases: [(Duration, String)] = [
            (.zero, "0n"), (.nanoseconds(5), "5n"), (.milliseconds(100), "100000u"), (.seconds(1), "1S"),
            (.milliseconds(1500), "1500000u"), (.seconds(123 * 3600), "442800S"),
            (.seconds(200) + .milliseconds(1), "200001m"),
            (.seconds(100_000_000), "1666667M"), (.seconds(Int64.max), "99999999H"),
        ]
        for (duration, encoded) in cases {
            #expect(CallDeadline.encode(duration) == encoded, "\(duration)")
        }
    }
}

/// What a server-streaming call's handler saw: the messages' sequence numbers, the metadata, the
/// trailers or the error, and the type behind the body parts (which path read them).
private struct ExpandOutcome: Equatable {
    var sequences: [Int64] = []
    var metadata: [String] = []
    var trailers: [String] = []
    var error: String?
    let bodyParts: String

    init(_ response: StreamingClientResponse<EchoResponse>) async throws {
        switch response.accepted {
        case .failure(let error):
            self.error = "\(error.code): \(error.message)"
            self.bodyParts = "none"
        case .success(let contents):
            self.metadata = contents.metadata.map { "\($0.key)=\($0.value)" }.sorted()
            self.bodyParts = Mirror(reflecting: contents.bodyParts).children.map {
                String(reflecting: type(of: $0.value))
            }
            .joined()
            do {
                for try await part in contents.bodyParts {
                    switch part {
                    case .message(let message): self.sequences.append(message.sequence)
                    case .trailingMetadata(let trailers):
                        self.trailers = trailers.map { "\($0.key)=\($0.value)" }.sorted()
                    }
                }
            } catch let error as RPCError {
                self.error = "\(error.code): \(error.message)"
            }
        }
    }

    static func == (lhs: Self, rhs: Self) -> Bool {
        (lhs.sequences, lhs.metadata, lhs.trailers, lhs.error) == (rhs.sequences, rhs.metadata, rhs.trailers, rhs.error)
    }
}

/// The current task, to tell which task a piece of code runs in.
private func currentTask() -> Int? { withUnsafeCurrentTask { $0?.hashValue } }

/// Echo whose Get never answers: it waits to be cancelled, counting the calls it started and the
/// cancellations it saw.
private struct SlowGet: Plugboard_Test_V1_Echo.SimpleServiceProtocol {
    final class Counts: Sendable {
        let value = Mutex<(started: Int, cancelled: Int)>((0, 0))
    }
    let counts = Counts()

    func get(request: EchoRequest, context: ServerContext) async throws -> EchoResponse {
        self.counts.value.withLock { $0.started += 1 }
        try await withRPCCancellationHandler {
            while !context.cancellation.isCancelled { try await Task.sleep(for: .milliseconds(5)) }
        } onCancelRPC: {
            self.counts.value.withLock { $0.cancelled += 1 }
        }
        throw RPCError(code: .cancelled, message: "cancelled")
    }

    func collect(request: RPCAsyncSequence<EchoRequest, any Error>, context: ServerContext) async throws
        -> EchoResponse
    {
        try await EchoService().collect(request: request, context: context)
    }

    func expand(request: EchoRequest, response: RPCWriter<EchoResponse>, context: ServerContext) async throws {
        try await EchoService().expand(request: request, response: response, context: context)
    }

    func update(
        request: RPCAsyncSequence<EchoRequest, any Error>, response: RPCWriter<EchoResponse>, context: ServerContext
    ) async throws {
        try await EchoService().update(request: request, response: response, context: context)
    }
}
