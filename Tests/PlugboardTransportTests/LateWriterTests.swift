import GRPCCore
import GRPCNIOTransportHTTP2Posix
import PlugboardTransport
import Testing

@Suite("A call's writer that outlives the call", .timeLimit(.minutes(1)))
struct LateWriterTests {
    // GRPCCore writes a request from a child task; a call cancelled before that task runs has
    // already ended its stream when the task writes the request's metadata and message.
    @Test("what it writes after the call ended is dropped: the server never sees that request")
    func dropped() async throws {
        let probe = Probe()
        let path = makeSocketPath()
        let serverTransport = AnyServer(kind: .lean, path: path)
        let server = GRPCServer(transport: serverTransport, services: [EchoService(probe: probe)])
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await server.serve() }
            try await serverTransport.waitUntilListening()
            let transport = UnixSocketTransport.Client(path: path)
            group.addTask { try await transport.connect() }

            let late = try await transport.withStream(descriptor: EchoService.Method.get, options: .defaults) {
                stream, _ in stream.outbound
            }
            try await late.write(.metadata([:]))
            try await late.write(.message(GRPCNIOTransportBytes([1])))
            await late.finish()

            // A call after it, on the same connection, is answered: by then the server has had
            // the late request's frames, which came first, had they been sent.
            let answer = try await transport.withStream(descriptor: EchoService.Method.get, options: .defaults) {
                stream, _ in
                try await stream.outbound.write(.metadata([:]))
                try await stream.outbound.write(.message(GRPCNIOTransportBytes([2])))
                await stream.outbound.finish()
                var message: [UInt8] = []
                for try await part in stream.inbound {
                    if case .message(let bytes) = part { message = bytes.withUnsafeBytes { Array($0) } }
                }
                return message
            }
            #expect(answer == [2])
            try await Task.sleep(for: .milliseconds(100))
            #expect(probe.total(of: .getCalled) == 1, "only the call that was still open reached the server")

            transport.beginGracefulShutdown()
            server.beginGracefulShutdown()
            try await group.waitForAll()
        }
    }
}
