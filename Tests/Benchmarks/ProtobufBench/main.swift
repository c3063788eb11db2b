// `make bench` (protobuf part): the cost of Swift encode/decode per message, against bare
// libprotobuf-c pack/unpack of the same message measured in the same run. The ratio is what the
// Swift layer (copying between Swift values and protoc-c structs) adds.
//
// Prints a markdown table; with `--json`, one JSON array instead (one object per message, times in
// ns), which the side-by-side benchmark (Tests/Benchmarks/side-by-side.py) folds into its report.

import CProtobufC
import PlugboardTestSupport
import PlugboardTestV1
@_spi(ProtobufCGenerated) import ProtobufC  // _protobufCDescriptor: timing protobuf-c directly

#if canImport(Glibc)
import Glibc
#endif

func nanoseconds() -> UInt64 {
    var time = timespec()
    clock_gettime(CLOCK_MONOTONIC, &time)
    return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
}

/// The median, over `rounds` rounds, of the time one call of `body` takes, in nanoseconds.
func measure(iterations: Int, rounds: Int = 7, _ body: () throws -> Void) rethrows -> Double {
    for _ in 0..<iterations / 10 { try body() }  // warm-up, not counted
    var samples: [Double] = []
    for _ in 0..<rounds {
        let start = nanoseconds()
        for _ in 0..<iterations { try body() }
        samples.append(Double(nanoseconds() - start) / Double(iterations))
    }
    return samples.sorted()[rounds / 2]
}

@inline(never) func blackHole<T>(_ value: T) { withExtendedLifetime(value) {} }

struct Row {
    var name: String
    var size: Int
    var swiftEncode, cPack, swiftDecode, cUnpack: Double
}

func bench<M: ProtobufMessage>(_ name: String, _ message: M, iterations: Int) throws -> Row {
    let bytes = try message.serializedBytes()
    let descriptor = M._protobufCDescriptor.assumingMemoryBound(to: ProtobufCMessageDescriptor.self)
    let unpacked = bytes.withUnsafeBufferPointer {
        protobuf_c_message_unpack(descriptor, nil, $0.count, $0.baseAddress)!
    }
    defer { protobuf_c_message_free_unpacked(unpacked, nil) }
    var buffer = [UInt8](repeating: 0, count: bytes.count)
    let swiftEncode = try measure(iterations: iterations) { blackHole(try message.serializedBytes()) }
    let cPack = measure(iterations: iterations) {
        let size = protobuf_c_message_get_packed_size(unpacked)
        buffer.withUnsafeMutableBufferPointer { blackHole(protobuf_c_message_pack(unpacked, $0.baseAddress)) }
        blackHole(size)
    }
    let swiftDecode = try measure(iterations: iterations) { blackHole(try M(serializedBytes: bytes)) }
    let cUnpack = measure(iterations: iterations) {
        bytes.withUnsafeBufferPointer {
            protobuf_c_message_free_unpacked(protobuf_c_message_unpack(descriptor, nil, $0.count, $0.baseAddress), nil)
        }
    }
    return Row(
        name: name, size: bytes.count, swiftEncode: swiftEncode, cPack: cPack, swiftDecode: swiftDecode,
        cUnpack: cUnpack)
}

var generator = SeededGenerator(seed: 2024)
var rich = KitchenSink()
while (try rich.serializedBytes().count) < 400 { rich = RandomMessages.kitchenSink(&generator) }
let rows = [
    try bench(
        "EchoRequest (text, 64-byte payload)",
        EchoRequest.with {
            $0.text = "ratelimit/check"
            $0.payload = Array(repeating: 7, count: 64)
            $0.sequence = 12345
        }, iterations: 200_000),
    try bench("KitchenSink (every field kind)", rich, iterations: 20_000),
    try bench("Legacy (proto2)", RandomMessages.legacy(&generator), iterations: 100_000),
]

func format(_ value: Double) -> String { String(Int(value.rounded())) }
func ratio(_ a: Double, _ b: Double) -> String {
    let r = (a / b * 100).rounded() / 100
    return "\(r)×"
}
func json(_ row: Row) -> String {
    let name = String(row.name.flatMap { $0 == "\"" || $0 == "\\" ? ["\\", $0] : [$0] })
    return "{\"message\": \"\(name)\", \"bytes\": \(row.size), "
        + "\"swift_encode_ns\": \(format(row.swiftEncode)), \"protobuf_c_pack_ns\": \(format(row.cPack)), "
        + "\"swift_decode_ns\": \(format(row.swiftDecode)), \"protobuf_c_unpack_ns\": \(format(row.cUnpack))}"
}

if CommandLine.arguments.dropFirst().contains("--json") {
    print("[" + rows.map(json).joined(separator: ",\n ") + "]")
} else {
    print(
        "| message | bytes | Swift encode ns | protobuf-c pack ns | ratio | Swift decode ns | protobuf-c unpack ns | ratio |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for row in rows {
        print(
            "| \(row.name) | \(row.size) | \(format(row.swiftEncode)) | \(format(row.cPack)) | \(ratio(row.swiftEncode, row.cPack)) | \(format(row.swiftDecode)) | \(format(row.cUnpack)) | \(ratio(row.swiftDecode, row.cUnpack)) |"
        )
    }
}
