import GRPCCore
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
}
