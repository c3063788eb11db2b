// protoc-gen-plugboard: a protoc plugin that writes Swift message types over protoc-c structs and
// GRPCCore service stubs. protoc runs it for `--plugboard_out=DIR` (options: see GeneratorOptions);
// see README "Adding a service set". Run with arguments, it is the `generate-plugboard-code`
// command (CodegenCommand), which runs protoc-c and protoc for a package's plugboard-codegen.json.

#if canImport(Glibc)
import Glibc
#endif

/// Reads all of standard input.
func readStandardInput() -> [UInt8] {
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 65536)
    while true {
        let count = chunk.withUnsafeMutableBytes { read(0, $0.baseAddress, $0.count) }
        if count > 0 {
            bytes += chunk[0..<count]
        } else if count == 0 || errno != EINTR {
            return bytes
        }
    }
}

/// Writes all of `bytes` to a file descriptor.
func writeAll(_ bytes: [UInt8], to descriptor: Int32) {
    var offset = 0
    while offset < bytes.count {
        let written = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress! + offset, bytes.count - offset) }
        if written > 0 {
            offset += written
        } else if errno != EINTR {
            exit(1)
        }
    }
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
