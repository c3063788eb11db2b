import GRPCCore
import PlugboardTransport
import ProtobufC
import Synchronization
import Testing

@Suite("Graceful shutdown of a lean server with background streams")
struct BackgroundStreamTests {
    @Test(
        "a draining connection waits for its calls, not for background streams: those end with it, and whenConnectionsClose runs"
    )
    func drainSkipsBackgroundStreams() async throws {
        let path = makeSocketPath()
        let probe = Probe()
        // `Hang` never answers: as a background stream it stands for go-plugin's stdio stream.
        let transport = UnixSocketTransport.Server(
            path: path, config: .defaults, tls: nil,
            backgroundPaths: ["/" + EchoService.Method.hang.fullyQualifiedMethod])
        let server = GRPCServer(transport: transport, services: [EchoService(probe: probe)])
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await server.serve() }
            defer { group.cancelAll() }  // a failed check must not leave the server waiting on Hang
            try await transport.waitUntilListening()
            try await withGRPCClient(transport: UnixSocketTransport.Client(path: path)) { client in
                let background = Task { () -> RPCError? in
                    do {
                        _ = try await DirectClient(client).call(EchoService.Method.hang, [])
                        return nil
                    } catch let error as RPCError {
                        return error
                    }
                }
                defer { background.cancel() }
                await probe.wait(for: .hangStarted)

                let closed = Flag()
                let (echoedOne, echoedOneSignal) = AsyncStream.makeStream(of: Void.self)
                let (release, releaseSignal) = AsyncStream.makeStream(of: Void.self)
                async let echoed = DirectClient(client).updateInTwoSteps(echoedFirst: echoedOneSignal, release: release)
                for await _ in echoedOne { break }

                server.beginGracefulShutdown()
                transport.whenConnectionsClose { closed.set() }
                try await Task.sleep(for: .milliseconds(100))
                #expect(!closed.isSet, "the connection closed under a call that was still running")
                releaseSignal.yield()
                #expect(try await echoed == [1, 2])

                for _ in 0..<1000 where !closed.isSet { try await Task.sleep(for: .milliseconds(10)) }
                #expect(closed.isSet, "the connection was still open 10 s after its last call finished")
                if !closed.isSet { background.cancel() }
                #expect(try await background.value?.code == .unavailable)
                await probe.wait(for: .hangCancelled)
            }
            try await group.waitForAll()
        }
    }
}

private final class Flag: Sendable {
    private let value = Atomic(false)
    var isSet: Bool { self.value.load(ordering: .sequentiallyConsistent) }
    func set() { self.value.store(true, ordering: .sequentiallyConsistent) }
}
