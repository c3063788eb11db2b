import Foundation

/// Runs the reference encoder, `protoc --encode`/`--decode`, over the project's `.proto` files.
enum Protoc {
    static let protosDirectory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Protos").path

    /// Encodes a text-format message with protoc.
    static func encode(_ text: String, as type: String, file: String) throws -> [UInt8] {
        try self.run(["--encode=\(type)", file], input: Array(text.utf8))
    }

    /// Decodes bytes to text format with protoc.
    static func decode(_ bytes: [UInt8], as type: String, file: String) throws -> String {
        String(decoding: try self.run(["--decode=\(type)", file], input: bytes), as: UTF8.self)
    }

    private static func run(_ arguments: [String], input: [UInt8]) throws -> [UInt8] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/protoc")
        process.arguments = ["-I\(self.protosDirectory)", "-I/usr/include"] + arguments
        let stdin = Pipe()
        let stdout = Pipe()
        let stderr = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = stderr
        try process.run()
        let writer = Thread {
            stdin.fileHandleForWriting.write(Data(input))
            try? stdin.fileHandleForWriting.close()
        }
        writer.start()
        let output = stdout.fileHandleForReading.readDataToEndOfFile()
        let errors = stderr.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw ProtocFailure(message: String(decoding: errors, as: UTF8.self))
        }
        return Array(output)
    }

    struct ProtocFailure: Error, CustomStringConvertible {
        var message: String
        var description: String { "protoc failed: \(self.message)" }
    }
}
