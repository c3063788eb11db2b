import PlugboardTestSupport
import PlugboardTestV1
import ProtobufC
import Testing

/// Swift's encoding, done by libprotobuf-c, matches the reference encoder byte for byte.
@Suite("Wire compatibility with protoc")
struct GoldenEncodingTests {
    static let kitchenSinkText = """
        scalars {
          f_double: 1.5 f_float: -2.25 f_int32: -7 f_int64: -9000000000 f_uint32: 4000000000
          f_uint64: 18000000000000000000 f_sint32: -3 f_sint64: -4000000000 f_fixed32: 7
          f_fixed64: 8 f_sfixed32: -9 f_sfixed64: -10 f_bool: true f_string: "h\\303\\251llo \\360\\237\\231\\202"
          f_bytes: "\\000\\001\\377" f_color: COLOR_BLUE
        }
        node { name: "root" child { name: "leaf" weights: 1 weights: 2 } weights: 3 }
        point { x: -1 y: 2 label: "p" }
        status: STATUS_ACTIVE
        packed_int32: [1, -2, 300]
        unpacked_int64: [-1, 5]
        packed_double: [0.25, -8]
        packed_float: [1.5]
        packed_bool: [true, false, true]
        packed_sint64: [-64, 64]
        packed_fixed32: [4294967295]
        unpacked_uint64: [18446744073709551615]
        colors: [COLOR_RED, COLOR_GREEN]
        names: ["a", "", "c"]
        blobs: ["\\001", ""]
        nodes { name: "n1" } nodes { }
        points { x: 3 }
        counters { key: "a" value: 1 }
        labels { key: 5 value: "five" }
        nodes_by_name { key: "n" value { name: "x" } }
        colors_by_id { key: 9 value: COLOR_RED }
        blobs_by_flag { key: true value: "\\000" }
        points_by_index { key: -4 value { x: 1 } }
        chosen_node { name: "c" }
        """

    static let kitchenSink = KitchenSink.with {
        $0.scalars = .with {
            $0.fDouble = 1.5
            $0.fFloat = -2.25
            $0.fInt32 = -7
            $0.fInt64 = -9_000_000_000
            $0.fUint32 = 4_000_000_000
            $0.fUint64 = 18_000_000_000_000_000_000
            $0.fSint32 = -3
            $0.fSint64 = -4_000_000_000
            $0.fFixed32 = 7
            $0.fFixed64 = 8
            $0.fSfixed32 = -9
            $0.fSfixed64 = -10
            $0.fBool = true
            $0.fString = "héllo 🙂"
            $0.fBytes = [0, 1, 255]
            $0.fColor = .blue
        }
        $0.node = .with {
            $0.name = "root"
            $0.child = .with {
                $0.name = "leaf"
                $0.weights = [1, 2]
            }
            $0.weights = [3]
        }
        $0.point = .with {
            $0.x = -1
            $0.y = 2
            $0.label = "p"
        }
        $0.status = .active
        $0.packedInt32 = [1, -2, 300]
        $0.unpackedInt64 = [-1, 5]
        $0.packedDouble = [0.25, -8]
        $0.packedFloat = [1.5]
        $0.packedBool = [true, false, true]
        $0.packedSint64 = [-64, 64]
        $0.packedFixed32 = [.max]
        $0.unpackedUint64 = [.max]
        $0.colors = [.red, .green]
        $0.names = ["a", "", "c"]
        $0.blobs = [[1], []]
        $0.nodes = [.with { $0.name = "n1" }, .init()]
        $0.points = [.with { $0.x = 3 }]
        $0.counters = ["a": 1]
        $0.labels = [5: "five"]
        $0.nodesByName = ["n": .with { $0.name = "x" }]
        $0.colorsById = [9: .red]
        $0.blobsByFlag = [true: [0]]
        $0.pointsByIndex = [-4: .with { $0.x = 1 }]
        $0.choice = .chosenNode(.with { $0.name = "c" })
    }

    static let legacyText = """
        id: "legacy-1" version: 2 label: "none" retries: 0 mode: MODE_SAFE blob: ""
        inner { token: 1 delta: -1 } ids: [1, 2] packed_ids: [3, 4] weight: 0.5 counter: 7 stamp: 9
        first { token: 18446744073709551615 } others { token: 2 } others { token: 3 } tags: ["x", "y"]
        """

    static let legacy = Legacy.with {
        $0.id = "legacy-1"
        $0.version = 2
        $0.label = "none"
        $0.retries = 0
        $0.mode = .safe
        $0.blob = []
        $0.inner = .with {
            $0.token = 1
            $0.delta = -1
        }
        $0.ids = [1, 2]
        $0.packedIds = [3, 4]
        $0.weight = 0.5
        $0.counter = 7
        $0.stamp = 9
        $0.first = .with { $0.token = .max }
        $0.others = [.with { $0.token = 2 }, .with { $0.token = 3 }]
        $0.tags = ["x", "y"]
    }

    @Test("proto3: Swift bytes equal protoc --encode")
    func kitchenSinkEncodesLikeProtoc() throws {
        let reference = try Protoc.encode(
            Self.kitchenSinkText, as: "plugboard.test.v1.KitchenSink", file: "plugboard/test/v1/kitchen_sink.proto")
        #expect(try Self.kitchenSink.serializedBytes() == reference)
    }

    @Test("proto3: protoc's bytes decode to the expected Swift value")
    func kitchenSinkDecodesProtocBytes() throws {
        let reference = try Protoc.encode(
            Self.kitchenSinkText, as: "plugboard.test.v1.KitchenSink", file: "plugboard/test/v1/kitchen_sink.proto")
        #expect(try KitchenSink(serializedBytes: reference) == Self.kitchenSink)
    }

    @Test("proto3: protoc --decode of Swift bytes gives protoc's own text back")
    func kitchenSinkDecodesInProtoc() throws {
        let file = "plugboard/test/v1/kitchen_sink.proto"
        let type = "plugboard.test.v1.KitchenSink"
        let reference = try Protoc.encode(Self.kitchenSinkText, as: type, file: file)
        let swiftText = try Protoc.decode(try Self.kitchenSink.serializedBytes(), as: type, file: file)
        #expect(swiftText == (try Protoc.decode(reference, as: type, file: file)))
        #expect(swiftText.contains("f_string: \"h\\303\\251llo"))
    }

    @Test("proto3: maps with many entries decode to the same text in protoc")
    func manyEntryMaps() throws {
        let file = "plugboard/test/v1/kitchen_sink.proto"
        let type = "plugboard.test.v1.KitchenSink"
        let message = KitchenSink.with {
            $0.counters = ["a": 1, "b": -2, "c": 3, "d": 4]
            $0.labels = [1: "x", -5: "y", 9: "z"]
            $0.blobsByFlag = [true: [1], false: [0]]
        }
        let text = """
            counters { key: "a" value: 1 } counters { key: "b" value: -2 } counters { key: "c" value: 3 }
            counters { key: "d" value: 4 } labels { key: 1 value: "x" } labels { key: -5 value: "y" }
            labels { key: 9 value: "z" } blobs_by_flag { key: true value: "\\001" } blobs_by_flag { key: false value: "\\000" }
            """
        let reference = try Protoc.encode(text, as: type, file: file)
        #expect(
            try Protoc.decode(try message.serializedBytes(), as: type, file: file)
                == (try Protoc.decode(reference, as: type, file: file)))
        #expect(try KitchenSink(serializedBytes: reference) == message)
    }

    @Test("proto2: presence, explicit defaults and required fields encode like protoc")
    func legacyEncodesLikeProtoc() throws {
        let file = "plugboard/test/v1/legacy.proto"
        let reference = try Protoc.encode(Self.legacyText, as: "plugboard.test.v1.Legacy", file: file)
        #expect(try Self.legacy.serializedBytes() == reference)
        #expect(try Legacy(serializedBytes: reference) == Self.legacy)
    }

    @Test("proto2: absent optional fields stay absent and report their declared defaults")
    func legacyAbsentFields() throws {
        let reference = try Protoc.encode(
            "id: \"x\" version: 1 first { token: 5 }",
            as: "plugboard.test.v1.Legacy",
            file: "plugboard/test/v1/legacy.proto"
        )
        let decoded = try Legacy(serializedBytes: reference)
        #expect(decoded.label == nil)
        #expect(decoded.labelOrDefault == "none")
        #expect(decoded.retries == nil && decoded.retriesOrDefault == 3)
        #expect(decoded.enabled == nil && decoded.enabledOrDefault == true)
        #expect(decoded.ratioOrDefault == 0.5)
        #expect(decoded.mode == nil && decoded.modeOrDefault == .fast)
        #expect(decoded.blob == nil && decoded.blobOrDefault == Array("abc".utf8))
        #expect(decoded.inner == nil && decoded.note == nil && decoded.weight == nil)
        #expect(decoded.first.token == 5)
        #expect(try decoded.serializedBytes() == reference)
    }

    @Test("proto2: a missing required field is a decoding error naming the type")
    func missingRequiredField() throws {
        let bytes: [UInt8] = [0x0a, 0x01, 0x78]  // id: "x", but no version and no first
        let error = #expect(throws: ProtobufError.self) { try Legacy(serializedBytes: bytes) }
        #expect(error?.code == .decodingFailed)
        #expect(error?.messageType == "plugboard.test.v1.Legacy")
    }

    @Test("proto3: enum values the .proto does not declare survive a round trip")
    func unknownEnumValues() throws {
        // Field 16 (f_color) = 77, field 4 of KitchenSink (status) = 9, as varints.
        let scalars = Plugboard_Test_V1_Scalars.with { $0.fColor = .unrecognized(77) }
        let bytes = try scalars.serializedBytes()
        #expect(bytes == [0x80, 0x01, 77])
        #expect(try Plugboard_Test_V1_Scalars(serializedBytes: bytes).fColor == .unrecognized(77))
        #expect(try KitchenSink(serializedBytes: [0x20, 9]).status == .unrecognized(9))
    }
}
