import PlugboardTestSupport
import PlugboardTestV1
import ProtobufC
import Testing

/// Malformed input never crashes and always becomes a `ProtobufError` that names the message type.
@Suite("Decoding bad bytes")
struct BadBytesTests {
    /// Decodes `bytes`; any error must be a ProtobufError for `M`.
    func decodeOrExplain<M: ProtobufMessage>(_ type: M.Type, _ bytes: [UInt8]) {
        do {
            _ = try M(serializedBytes: bytes)
        } catch let error as ProtobufError {
            #expect(error.messageType == M.protoMessageName)
            #expect(error.message.contains(M.protoMessageName))
        } catch {
            Issue.record("unexpected error type: \(error)")
        }
    }

    @Test("every truncation of a valid encoding")
    func truncations() throws {
        var generator = SeededGenerator(seed: 7)
        for _ in 0..<50 {
            let bytes = try RandomMessages.kitchenSink(&generator).serializedBytes()
            for length in 0..<bytes.count { self.decodeOrExplain(KitchenSink.self, Array(bytes[..<length])) }
        }
    }

    @Test("a length that runs past the end names the offset")
    func oversizedLength() {
        let error = #expect(throws: ProtobufError.self) {
            try KitchenSink(serializedBytes: [0x12, 0xff, 0xff, 0xff, 0x0f, 0x01])
        }
        #expect(error?.code == .decodingFailed)
        #expect(error?.message.contains("runs past the end") == true)
        #expect(error?.message.contains("plugboard.test.v1.KitchenSink") == true)
    }

    @Test(
        "a value of the wrong wire type for its field",
        arguments: [
            [0x0a, 0x01, 0x41] as [UInt8],  // Scalars.f_double (fixed64) sent as a length-delimited value
            [0x0d, 0x00, 0x00, 0x80, 0x3f],  // Scalars.f_double sent as fixed32
        ])
    func wrongWireType(bytes: [UInt8]) {
        let error = #expect(throws: ProtobufError.self) { try Plugboard_Test_V1_Scalars(serializedBytes: bytes) }
        #expect(error?.messageType == "plugboard.test.v1.Scalars")
    }

    @Test("a nonexistent wire type and an unterminated varint are explained")
    func malformedStructure() {
        let badType = #expect(throws: ProtobufError.self) { try EchoRequest(serializedBytes: [0x0f, 0x00]) }
        #expect(badType?.message.contains("wire type 7 does not exist") == true)
        let badVarint = #expect(throws: ProtobufError.self) { try EchoRequest(serializedBytes: [0x18, 0xff, 0xff]) }
        #expect(badVarint?.message.contains("varint never ends") == true)
    }

    @Test("messages nested deeper than 100 levels are refused before libprotobuf-c recurses")
    func deepNesting() throws {
        var node = KitchenSink.Node()
        for _ in 0..<150 { node = .with { $0.child = node } }
        let bytes = try KitchenSink.with { $0.node = node }.serializedBytes()
        let error = #expect(throws: ProtobufError.self) { try KitchenSink(serializedBytes: bytes) }
        #expect(error?.code == .nestingTooDeep)
        // A chain of 100,000 empty nested messages, as an attacker would send it.
        var reversed: [UInt8] = []
        for _ in 0..<100_000 {
            reversed += varint(reversed.count).reversed()
            reversed.append(0x12)
        }
        let attack = Array(reversed.reversed())
        let deep = #expect(throws: ProtobufError.self) { try KitchenSink.Node(serializedBytes: attack) }
        #expect(deep?.code == .nestingTooDeep)
        var shallow = KitchenSink.Node()
        for _ in 0..<90 { shallow = .with { $0.child = shallow } }
        #expect(try KitchenSink.Node(serializedBytes: try shallow.serializedBytes()) == shallow)
    }

    @Test("100,000 random inputs, decoded as three message types")
    func randomInputs() async {
        var generator = SeededGenerator(seed: 42)
        for index in 0..<100_000 {
            // Seconds of work: let the rest of the suite share the two pool threads meanwhile.
            if index % 1_000 == 0 { await Task.yield() }
            let bytes = generator.bytes(maxLength: 48)
            self.decodeOrExplain(KitchenSink.self, bytes)
            self.decodeOrExplain(Legacy.self, bytes)
            self.decodeOrExplain(EchoRequest.self, bytes)
        }
    }

    private func varint(_ value: Int) -> [UInt8] {
        var value = UInt64(value)
        var bytes: [UInt8] = []
        repeat {
            bytes.append(UInt8(value & 0x7f) | (value > 0x7f ? 0x80 : 0))
            value >>= 7
        } while value > 0
        return bytes
    }
}
