// The decoder under libFuzzer, and the same work as a plain program for valgrind.
//
// Built with `-DFUZZING -sanitize=fuzzer` (`make fuzz`), libFuzzer calls `LLVMFuzzerTestOneInput`.
// Built normally, `main` replays the files given as arguments, or with none runs a fixed workload
// of valid and invalid encodes and decodes, which `make test` runs under valgrind to find leaks.

import FuzzDriver
import PlugboardTestSupport
import PlugboardTestV1
import ProtobufC

/// Decodes `bytes` as each test message; whatever decodes must re-encode to bytes that decode and
/// encode to the same bytes again (bytes, not values: a decoded NaN never equals itself).
func exercise(_ bytes: UnsafeRawBufferPointer) {
    check(KitchenSink.self, bytes)
    check(Legacy.self, bytes)
    check(EchoRequest.self, bytes)
}

func check<M: ProtobufMessage>(_ type: M.Type, _ bytes: UnsafeRawBufferPointer) {
    let message: M
    do {
        message = try M(serializedBuffer: bytes)
    } catch {
        guard let error = error as? ProtobufError, error.messageType == M.protoMessageName else {
            fatalError("decoding \(M.protoMessageName) threw \(error)")
        }
        return
    }
    do {
        let encoded = try message.serializedBytes()
        let again = try M(serializedBytes: encoded)
        let reencoded = try again.serializedBytes()
        precondition(reencoded == encoded, "\(M.protoMessageName) changed in a round trip")
    } catch {
        fatalError("re-encoding \(M.protoMessageName) failed: \(error)")
    }
}

#if FUZZING
@_cdecl("protobuf_fuzz_main")
public func fuzzMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    runLibFuzzer(argc, argv, exercise: exercise)
}
#else

@main
enum ProtobufFuzz {
    static func main() throws {
        let files = CommandLine.arguments.dropFirst()
        if !files.isEmpty {
            try replay(files, exercise)
            print("replayed \(files.count) inputs")
            return
        }
        var generator = SeededGenerator(seed: 99)
        var decoded = 0
        for round in 0..<300 {
            var bytes = try RandomMessages.kitchenSink(&generator).serializedBytes()
            bytes.withUnsafeBytes { exercise($0) }
            if !bytes.isEmpty {
                bytes[Int.random(in: 0..<bytes.count, using: &generator)] ^= UInt8(truncatingIfNeeded: round | 1)
            }
            bytes.withUnsafeBytes { exercise($0) }
            let legacy = try RandomMessages.legacy(&generator).serializedBytes()
            legacy.withUnsafeBytes { exercise($0) }
            Array(legacy.dropLast()).withUnsafeBytes { exercise($0) }
            generator.bytes(maxLength: 40).withUnsafeBytes { exercise($0) }
            decoded += 5
        }
        _ = try? EchoRequest.with { $0.text = "nul\u{0}" }.serializedBytes()
        print("exercised \(decoded) inputs")
    }
}
#endif
