/// The parts of a `.proto` file the generator needs, read from protoc's descriptors.
struct ProtoFile {
    enum Syntax { case proto2, proto3 }

    var name: String
    var package: String
    var syntax: Syntax
    var messages: [ProtoMessage]
    var enums: [ProtoEnum]
    var services: [ProtoService]
    var extensionCount: Int
    /// Where the file's first top-level `extend` starts.
    var firstExtensionPosition: SourcePosition?
}

struct ProtoMessage {
    var name: String
    var fullName: String
    var fields: [ProtoField]
    var oneofs: [String]
    var messages: [ProtoMessage]
    var enums: [ProtoEnum]
    var isMapEntry: Bool
    var comments: String
}

struct ProtoField {
    enum Label { case optional, required, repeated }

    /// Field types, numbered as in `FieldDescriptorProto.Type`.
    enum Kind: Int32 {
        case double = 1, float, int64, uint64, int32, fixed64, fixed32, bool, string, group, message, bytes
        case uint32, `enum`, sfixed32, sfixed64, sint32, sint64
    }

    var name: String
    var number: Int32
    var label: Label
    var kind: Kind
    /// The full name of the message or enum type, without the leading dot.
    var typeName: String
    var defaultValue: String?
    var oneofIndex: Int?
    var isProto3Optional: Bool
    var comments: String
    var position: SourcePosition?
}

struct ProtoEnum {
    struct Value {
        var name: String
        var number: Int32
        var comments: String
    }

    var name: String
    var fullName: String
    var values: [Value]
    var comments: String
}

struct ProtoService {
    struct Method {
        var name: String
        var inputType: String
        var outputType: String
        var clientStreaming: Bool
        var serverStreaming: Bool
        var comments: String
    }

    var name: String
    var fullName: String
    var methods: [Method]
    var comments: String
}

/// What protoc asked for: the files to generate, every file they import, and the options.
struct GenerationRequest {
    var filesToGenerate: [String]
    var parameter: String
    var files: [ProtoFile]
}

/// A generated file, or the error that stops generation.
struct GenerationResult {
    struct File {
        var name: String
        var content: String
    }

    var files: [File] = []
    var error: String?
}

/// A 1-based line and column in a `.proto` file, from protoc's source code info.
struct SourcePosition: Equatable {
    var line: Int
    var column: Int
}

/// A problem in a `.proto` file that the generator cannot turn into code; protoc prints it.
struct GeneratorError: Error {
    var message: String

    init(message: String) {
        self.message = message
    }

    /// An error about a declaration: `file.proto:LINE:COLUMN: message` (the position when protoc sent it).
    init(file: String, at position: SourcePosition?, _ message: String) {
        let location = position.map { "\(file):\($0.line):\($0.column)" } ?? file
        self.message = "\(location): \(message)"
    }
}
