import PlugboardTestSupport
import PlugboardTestV1
import ProtobufC
import Testing

@Suite("Round trips over random values")
struct RoundTripTests {
    @Test("every field kind survives encode → decode (10,000 random KitchenSink and Legacy values each)")
    func randomValues() async throws {
        var generator = SeededGenerator(seed: 0x5eed_0001)
        for index in 0..<10_000 {
            // Seconds of work: let the rest of the suite share the two pool threads meanwhile.
            if index % 200 == 0 { await Task.yield() }
            let sink = RandomMessages.kitchenSink(&generator)
            let decodedSink = try KitchenSink(serializedBytes: try sink.serializedBytes())
            #expect(decodedSink == sink, "KitchenSink case \(index)")
            let legacy = RandomMessages.legacy(&generator)
            let decodedLegacy = try Legacy(serializedBytes: try legacy.serializedBytes())
            #expect(decodedLegacy == legacy, "Legacy case \(index)")
            if decodedSink != sink || decodedLegacy != legacy { return }
        }
    }

    @Test("a default message encodes to no bytes and decodes from none")
    func emptyMessage() throws {
        #expect(try KitchenSink().serializedBytes().isEmpty)
        #expect(try KitchenSink(serializedBytes: [UInt8]()) == KitchenSink())
    }

    @Test("a string holding NUL is refused with an error that names the field")
    func nulInString() throws {
        let error = #expect(throws: ProtobufError.self) {
            try EchoRequest.with { $0.text = "a\u{0}b" }.serializedBytes()
        }
        #expect(error?.code == .encodingFailed)
        #expect(error?.messageType == "plugboard.test.v1.EchoRequest")
        #expect(error?.message.contains("`text`") == true)
    }

    @Test("large bytes and many repeated values round-trip")
    func largeValues() throws {
        let payload = (0..<3_000_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let request = EchoRequest.with { $0.payload = payload }
        #expect(try EchoRequest(serializedBytes: try request.serializedBytes()).payload == payload)
        let sink = KitchenSink.with { $0.packedInt32 = Array(-50_000..<50_000) }
        #expect(try KitchenSink(serializedBytes: try sink.serializedBytes()) == sink)
    }
}
