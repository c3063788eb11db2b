import GRPCCore
import PlugboardCore
import PlugboardTestSupport
import PlugboardTransport
import ProtobufC
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Opt-in timings (set PLUGBOARD_TRANSPORT_BENCH=1; use `-c release`): unary round-trip p50 and
/// pipelined messages per second, lean vs stock, in one run. Skipped otherwise.
@Suite("Transport benchmark", .enabled(if: getenv("PLUGBOARD_TRANSPORT_BENCH") != nil), .serialized)
struct TransportBenchmark {
    struct Variant: Sendable, CustomTestStringConvertible {
        var name: String
        var pair: TransportPair
        var config: UnixSocketTransport.Config
        var testDescription: String { self.name }
    }

    static let variants: [Variant] = [
        Variant(name: "stock", pair: .init(server: .stock, client: .stock), config: .defaults),
        Variant(name: "lean", pair: .init(server: .lean, client: .lean), config: .defaults),
        Variant(
            name: "lean, on event loop",
            pair: .init(server: .lean, client: .lean),
            config: .defaults.with {
                $0.runCallsOnEventLoop = true
                $0.runHandlersOnEventLoop = true
            }
        ),
    ]

    @Test("Unary p50 and pipelined msgs/s", arguments: variants)
    func measure(variant: Variant) async throws {
        try await withEchoServer(variant.pair, config: variant.config) { client, _ in
            for _ in 0..<500 { _ = try await client.call(EchoService.Method.get, [1, 2, 3]) }
            var samples: [Duration] = []
            let clock = ContinuousClock()
            for _ in 0..<5_000 {
                let start = clock.now
                _ = try await client.call(EchoService.Method.get, [1, 2, 3])
                samples.append(clock.now - start)
            }
            samples.sort()
            let p50 = samples[samples.count / 2]
            let p99 = samples[samples.count * 99 / 100]

            let messages = 100_000
            let start = clock.now
            let received = try await client.bidirectionalStreaming(
                request: StreamingClientRequest { writer in
                    for _ in 0..<messages { try await writer.write([1, 2, 3, 4, 5, 6, 7, 8]) }
                },
                descriptor: EchoService.Method.update,
                serializer: IdentitySerializer(),
                deserializer: IdentityDeserializer(),
                options: .defaults
            ) { response in
                var count = 0
                for try await _ in response.messages { count += 1 }
                return count
            }
            let seconds = (clock.now - start).seconds
            #expect(received == messages)
            print(
                "BENCH \(variant.name): unary p50 \(Int(p50.microseconds)) µs, p99 \(Int(p99.microseconds)) µs, "
                    + "pipelined \(Int(Double(messages) / seconds)) msgs/s"
            )
        }
    }
}
