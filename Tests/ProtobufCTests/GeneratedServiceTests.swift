import GRPCCore
import GRPCInProcessTransport
import PlugboardTestSupport
import PlugboardTestV1
import Testing

/// A service defined only in a test `.proto` is served and called through the generated stubs.
@Suite("Generated service stubs over GRPCCore's in-process transport")
struct GeneratedServiceTests {
    func withEchoClient(_ body: (Plugboard_Test_V1_Echo.Client<InProcessTransport.Client>) async throws -> Void)
        async throws
    {
        let transport = InProcessTransport()
        try await withGRPCServer(transport: transport.server, services: [EchoService()]) { _ in
            try await withGRPCClient(transport: transport.client) { client in
                try await body(Plugboard_Test_V1_Echo.Client(wrapping: client))
            }
        }
    }

    @Test("unary")
    func unary() async throws {
        try await self.withEchoClient { echo in
            let response = try await echo.get(
                .with {
                    $0.text = "hello"
                    $0.payload = [1, 2, 3]
                    $0.sequence = 42
                })
            #expect(response.text == "hello" && response.payload == [1, 2, 3] && response.sequence == 42)
        }
    }

    @Test("client streaming")
    func clientStreaming() async throws {
        try await self.withEchoClient { echo in
            let response = try await echo.collect(
                request: StreamingClientRequest { writer in
                    for index in 1...100 {
                        try await writer.write(
                            .with {
                                $0.text = "x"; $0.sequence = Int64(index)
                            })
                    }
                })
            #expect(response.text == String(repeating: "x", count: 100))
            #expect(response.sequence == 5050)
        }
    }

    @Test("server streaming")
    func serverStreaming() async throws {
        try await self.withEchoClient { echo in
            let sequences = try await echo.expand(
                .with {
                    $0.text = "t"; $0.sequence = 1000
                }
            ) { response in
                try await response.messages.reduce(into: [Int64]()) { $0.append($1.sequence) }
            }
            #expect(sequences == Array(0..<1000))
        }
    }

    @Test("bidirectional streaming")
    func bidirectional() async throws {
        try await self.withEchoClient { echo in
            let count = 1000
            let received = try await echo.update(
                request: StreamingClientRequest { writer in
                    for index in 0..<count {
                        try await writer.write(
                            .with {
                                $0.sequence = Int64(index); $0.text = "m\(index)"
                            })
                    }
                }
            ) { response in
                try await response.messages.reduce(into: [String]()) { $0.append("\($1.sequence):\($1.text)") }
            }
            #expect(received == (0..<count).map { "\($0):m\($0)" })
        }
    }

    @Test("malformed request bytes fail the call with INVALID_ARGUMENT naming the message type")
    func malformedRequest() async throws {
        let transport = InProcessTransport()
        try await withGRPCServer(transport: transport.server, services: [EchoService()]) { _ in
            try await withGRPCClient(transport: transport.client) { client in
                let error = await #expect(throws: RPCError.self) {
                    try await client.unary(
                        request: ClientRequest(message: [0x0f, 0x00] as [UInt8]),
                        descriptor: Plugboard_Test_V1_Echo.Method.Get.descriptor,
                        serializer: RawSerializer(),
                        deserializer: RawSerializer(),
                        options: .defaults
                    ) { try $0.message }
                }
                #expect(error?.code == .invalidArgument)
                #expect(error?.message.contains("plugboard.test.v1.EchoRequest") == true)
            }
        }
    }
}

/// Passes bytes through unchanged, to send bytes the generated stubs never would.
struct RawSerializer: MessageSerializer, MessageDeserializer {
    func serialize<Bytes: GRPCContiguousBytes>(_ message: [UInt8]) throws -> Bytes { Bytes(message) }
    func deserialize<Bytes: GRPCContiguousBytes>(_ serializedMessageBytes: Bytes) throws -> [UInt8] {
        serializedMessageBytes.withUnsafeBytes { Array($0) }
    }
}
