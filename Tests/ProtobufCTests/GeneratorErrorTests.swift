import Foundation
import Testing

/// protoc-gen-plugboard refuses what it cannot represent, and says what to write instead.
@Suite("Code generator errors")
struct GeneratorErrorTests {
    /// Runs protoc with the plugin built next to this test binary; returns protoc's stderr and status.
    func generate(_ proto: String, options: [String] = []) throws -> (status: Int32, errors: String) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("plugboard-gen-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try proto.write(to: directory.appendingPathComponent("bad.proto"), atomically: true, encoding: .utf8)
        let plugin = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
            .appendingPathComponent("protoc-gen-plugboard").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/protoc")
        process.arguments =
            [
                "--plugin=protoc-gen-plugboard=\(plugin)", "--plugboard_out=\(directory.path)",
                "-I\(directory.path)", "-I/usr/include", "bad.proto",
            ] + options.map { "--plugboard_opt=\($0)" }
        let stderr = Pipe()
        process.standardError = stderr
        try process.run()
        let errors = String(decoding: stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, errors)
    }

    @Test("proto3 optional: refused at its line and column, with the oneof and wrapper workarounds")
    func proto3Optional() throws {
        let result = try self.generate(
            "syntax = \"proto3\";\npackage bad;\nmessage M {\n  optional int32 limit = 1;\n}\n")
        #expect(result.status != 0)
        #expect(result.errors.contains("bad.proto:4:3: field bad.M.limit is a proto3 `optional` field"))
        #expect(result.errors.contains("oneof limit_value"))
        #expect(result.errors.contains("wrap the value in a message"))
    }

    @Test("extensions: refused")
    func extensions() throws {
        let result = try self.generate(
            "syntax = \"proto2\"; package bad; message M { extensions 10 to 20; }\nextend M { optional int32 x = 10; }")
        #expect(result.status != 0)
        #expect(result.errors.contains("bad.proto:2:12: extensions (`extend`) are not supported"))
    }

    @Test("a field protoc-c would name `base`: refused with the fix")
    func fieldNamedBase() throws {
        let result = try self.generate("syntax = \"proto3\"; package bad; message M { int32 base = 1; }")
        #expect(result.status != 0)
        #expect(result.errors.contains("bad.proto:1:45: field bad.M.base: protoc-c names this field `base`"))
        #expect(result.errors.contains("rename the field"))
    }

    @Test("proto2 groups: refused")
    func groups() throws {
        let result = try self.generate(
            "syntax = \"proto2\"; package bad; message M { optional group G = 1 { optional int32 a = 2; } }")
        #expect(result.status != 0)
        #expect(result.errors.contains("bad.proto:1:45: field bad.M.g is a proto2 group"))
    }

    @Test("a valid file generates without errors")
    func validFile() throws {
        let result = try self.generate(
            "syntax = \"proto3\"; package ok.v1; message M { int32 class = 1; map<string, M> children = 2; }")
        #expect(result.status == 0, "\(result.errors)")
    }

    @Test("c_module options name the module a file's C structs are in")
    func cModuleOption() throws {
        let result = try self.generate(
            "syntax = \"proto3\"; package ok.v1; message M { int32 a = 1; }",
            options: ["c_module=bad.proto:CMine", "c_module=other.proto:COther"]
        )
        #expect(result.status == 0, "\(result.errors)")
    }

    @Test("an unknown option or a malformed c_module: refused")
    func badOptions() throws {
        let proto = "syntax = \"proto3\"; package ok.v1; message M { int32 a = 1; }"
        let unknown = try self.generate(proto, options: ["visibility=public"])
        #expect(unknown.status != 0)
        #expect(unknown.errors.contains("unknown option `visibility=public`"))
        let malformed = try self.generate(proto, options: ["c_module=CMine"])
        #expect(malformed.status != 0)
        #expect(malformed.errors.contains("`c_module=CMine` is not `c_module=FILE.proto:Module`"))
        let twice = try self.generate(proto, options: ["c_module=bad.proto:CA", "c_module=bad.proto:CB"])
        #expect(twice.status != 0)
        #expect(twice.errors.contains("bad.proto is given two C modules, CA and CB"))
    }
}
