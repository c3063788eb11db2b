// protoc-gen-plugboard: a protoc plugin that writes Swift message types over protoc-c structs and
// GRPCCore service stubs. protoc runs it for `--plugboard_out=DIR` (options: see GeneratorOptions);
// see README "Adding a service set". Run with arguments, it is the `generate-plugboard-code`
// command (CodegenCommand), which runs protoc-c and protoc for a package's plugboard-codegen.json.

import PlugboardSystem

#if canImport(Glibc)
import Glibc
#endif

/// Reads all of standard input.
func readStandardInput() -> [UInt8] {
    var bytes: [UInt8] = []
    SystemCall.readToEnd(0, chunkSize: 65536) { bytes += $0 }
    return bytes
}

/// Writes all of `bytes` to a file descriptor, or exits 1.
func writeAll(_ bytes: [UInt8], to descriptor: Int32) {
    if !SystemCall.writeAll(descriptor, bytes) { exit(1) }
}

if CommandLine.arguments.count > 1 {
    exit(CodegenCommand.main(Array(CommandLine.arguments.dropFirst())))
}

do {
    let request = try RequestReader.read(readStandardInput())
    let result: GenerationResult
    do {
        result = GenerationResult(files: try Generator(request).generate())
    } catch let error as GeneratorError {
        result = GenerationResult(error: error.message)
    }
    writeAll(ResponseWriter.encode(result), to: 1)
} catch {
    writeAll(Array("protoc-gen-plugboard: \(error)\n".utf8), to: 2)
    exit(1)
}
