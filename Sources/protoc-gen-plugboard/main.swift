// protoc-gen-plugboard: a protoc plugin that writes Swift message types over protoc-c structs and
// GRPCCore service stubs. protoc runs it for `--plugboard_out=DIR` (options: see GeneratorOptions);
// see README "Generating code". Run with arguments, it is the `generate-plugboard-code` command
// (CodegenCommand), which runs protoc-c and protoc for a package's plugboard-codegen.json. The
// generator itself is the PlugboardCodeGen library.

import PlugboardCodeGen
import PlugboardSystem

#if canImport(Glibc)
import Glibc
#endif

if CommandLine.arguments.count > 1 {
    exit(CodegenCommand.main(Array(CommandLine.arguments.dropFirst())))
}

var request: [UInt8] = []
SystemCall.readToEnd(0, chunkSize: 65536) { request += $0 }
do {
    if !SystemCall.writeAll(1, try ProtocPlugin.respond(to: request)) { exit(1) }
} catch {
    _ = SystemCall.writeAll(2, Array("protoc-gen-plugboard: \(error)\n".utf8))
    exit(1)
}
