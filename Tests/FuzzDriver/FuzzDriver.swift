// What the two fuzz drivers (`protobuf-fuzz`, `transport-fuzz`) share: handing the process to
// libFuzzer when built with `-DFUZZING -sanitize=fuzzer`, and replaying input files when built
// normally.

import Foundation

/// Runs `exercise` on the contents of each file in `paths`, in order.
public func replay(_ paths: some Sequence<String>, _ exercise: (UnsafeRawBufferPointer) -> Void) throws {
    for path in paths {
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        bytes.withUnsafeBytes { exercise($0) }
    }
}

#if FUZZING
/// The work libFuzzer runs on each input, set by `runLibFuzzer` before it starts.
nonisolated(unsafe) private var fuzzTarget: (UnsafeRawBufferPointer) -> Void = { _ in }

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    fuzzTarget(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}

@_silgen_name("LLVMFuzzerRunDriver")
func runFuzzerDriver(
    _ argc: UnsafeMutablePointer<Int32>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32
) -> Int32

/// Hands the process to libFuzzer with the command line's arguments; it calls `exercise` with
/// each input. SwiftPM's debug builds enter an executable through `<module>_main`: call this there.
public func runLibFuzzer(
    _ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?,
    exercise: @escaping (UnsafeRawBufferPointer) -> Void
) -> Int32 {
    fuzzTarget = exercise
    var argc = argc
    var argv = argv
    return runFuzzerDriver(&argc, &argv) { data, size in fuzzOne(data, size) }
}
#endif
