import GRPCCore
import PlugboardHost
import PlugboardTestSupport
import PlugboardTestV1
import PlugboardTesting
import PlugboardTransport
import ProtobufC
import Synchronization
import Testing

@Suite("Which clients make unary calls straight on their transport", .timeLimit(.minutes(1)))
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
