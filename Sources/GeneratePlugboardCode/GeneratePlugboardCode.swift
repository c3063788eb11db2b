import Foundation
import PackagePlugin

/// `generate-plugboard-code`: generates Plugboard's C (protoc-c) and Swift (protoc-gen-plugboard)
/// code from `.proto` files, in any package that depends on Plugboard.
///
///     swift package --allow-writing-to-package-directory generate-plugboard-code [--config PATH] [--list-outputs]
///
/// It reads `plugboard-codegen.json` at the package root (or `--config PATH`, relative to the root):
///
///     { "importPaths": ["Protos"],
///       "sets": [ { "protos": ["inventory/v1/inventory.proto"],
///                   "cTarget": "Sources/CInventoryV1", "cModule": "CInventoryV1",
///                   "swiftTarget": "Sources/Inventory" } ] }
///
/// - `importPaths`: folders (relative to the root) that hold the `.proto` files; `include` next to
///   protoc's `bin` and /usr/include (google/protobuf/*.proto, from libprotoc-dev) come after them.
/// - `sets`: `.proto` files compiled together. `protos` are relative to an import path. `cTarget`
///   receives protoc-c's output (headers under its `include/`); `swiftTarget` receives
///   `<name>.pb.swift` and `<name>.grpc.swift`; either may be left out. `cModule` is the module the
///   Swift imports for the set's C structs (default: the last path component of `cTarget`); a
///   Swift-only set's files use the module of the set that compiles them to C. A set may have its
///   own `importPaths`, searched first.
/// - A C target takes one set; several sets may share a Swift target; targets must not nest; one
///   `.proto` file is compiled to C by one set only.
///
/// protoc-c and protoc run into a temporary folder; then only files whose bytes changed are
/// written (one line per file, then "3 files written, 12 unchanged"). Each output folder keeps a
/// `.plugboard-generated` manifest of the files written there (commit it); a stale file is removed
/// only when the manifest lists it, and an existing file not in the manifest is overwritten only
/// if it says DO NOT EDIT. protoc (Debian: protobuf-compiler) and protoc-c (protobuf-c-compiler)
/// must be on PATH. `--list-outputs` prints the output folders (e.g. for a staleness check in CI).
///
/// The work is done by `protoc-gen-plugboard --package-root DIR …` (CodegenCommand), which tests
/// run directly; this plugin only runs it for the package it is invoked on.
@main
struct GeneratePlugboardCode: CommandPlugin {
    func performCommand(context: PluginContext, arguments: [String]) async throws {
        let generator = try context.tool(named: "protoc-gen-plugboard")
        let process = Process()
        process.executableURL = generator.url
        process.arguments = ["--package-root", context.package.directoryURL.path] + arguments
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        let text = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationReason == .exit, process.terminationStatus == 0 else {
            let reason = text.hasPrefix("error: ") ? String(text.dropFirst("error: ".count)) : text
            throw GenerationFailed(reason: reason.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        if !text.isEmpty { FileHandle.standardError.write(Data(text.utf8)) }
    }
}

struct GenerationFailed: Error, CustomStringConvertible {
    var reason: String
    var description: String { self.reason.isEmpty ? "generate-plugboard-code failed" : self.reason }
}
