internal import CGoogleProtobuf
internal import CGoogleProtobufCompiler
internal import CProtobufC

/// Decodes protoc's `CodeGeneratorRequest` with libprotobuf-c and copies it into the Swift model.
enum RequestReader {
    static func read(_ bytes: [UInt8]) throws -> GenerationRequest {
        let request = bytes.withUnsafeBufferPointer {
            google__protobuf__compiler__code_generator_request__unpack(nil, $0.count, $0.baseAddress)
        }
        guard let request else {
            throw GeneratorError(message: "protoc sent a CodeGeneratorRequest that libprotobuf-c cannot decode")
        }
        defer { google__protobuf__compiler__code_generator_request__free_unpacked(request, nil) }
        let r = request.pointee
        return GenerationRequest(
            filesToGenerate: strings(r.file_to_generate, r.n_file_to_generate),
            parameter: string(r.parameter),
            files: pointers(r.proto_file, r.n_proto_file).map { file($0.pointee) }
        )
    }

    private static func file(_ f: Google__Protobuf__FileDescriptorProto) -> ProtoFile {
        let comments = Comments(f.source_code_info)
        let package = string(f.package)
        let prefix = package.isEmpty ? "" : package + "."
        return ProtoFile(
            name: string(f.name),
            package: package,
            syntax: string(f.syntax) == "proto3" ? .proto3 : .proto2,
            messages: pointers(f.message_type, f.n_message_type).enumerated().map {
                message($1.pointee, scope: prefix, path: [4, Int32($0)], comments)
            },
            enums: pointers(f.enum_type, f.n_enum_type).enumerated().map {
                enumeration($1.pointee, scope: prefix, path: [5, Int32($0)], comments)
            },
            services: pointers(f.service, f.n_service).enumerated().map {
                service($1.pointee, scope: prefix, path: [6, Int32($0)], comments)
            },
            extensionCount: f.n_extension,
            firstExtensionPosition: comments.position([7, 0])
        )
    }

    private static func message(
        _ m: Google__Protobuf__DescriptorProto,
        scope: String,
        path: [Int32],
        _ comments: Comments
    ) -> ProtoMessage {
        let name = string(m.name)
        let fullName = scope + name
        return ProtoMessage(
            name: name,
            fullName: fullName,
            fields: pointers(m.field, m.n_field).enumerated().map {
                field(
                    $1.pointee, comments: comments[path + [2, Int32($0)]],
                    position: comments.position(path + [2, Int32($0)]))
            },
            oneofs: pointers(m.oneof_decl, m.n_oneof_decl).map { string($0.pointee.name) },
            messages: pointers(m.nested_type, m.n_nested_type).enumerated().map {
                message($1.pointee, scope: fullName + ".", path: path + [3, Int32($0)], comments)
            },
            enums: pointers(m.enum_type, m.n_enum_type).enumerated().map {
                enumeration($1.pointee, scope: fullName + ".", path: path + [4, Int32($0)], comments)
            },
            isMapEntry: m.options.map { $0.pointee.map_entry != 0 } ?? false,
            comments: comments[path]
        )
    }

    private static func field(
        _ f: Google__Protobuf__FieldDescriptorProto,
        comments: String,
        position: SourcePosition?
    ) -> ProtoField {
        let label: ProtoField.Label =
            switch f.label.rawValue {
            case 2: .required
            case 3: .repeated
            default: .optional
            }
        let typeName = string(f.type_name)
        return ProtoField(
            name: string(f.name),
            number: f.number,
            label: label,
            kind: ProtoField.Kind(rawValue: Int32(truncatingIfNeeded: f.type.rawValue)) ?? .group,
            typeName: typeName.hasPrefix(".") ? String(typeName.dropFirst()) : typeName,
            defaultValue: f.default_value.map { String(cString: $0) },
            oneofIndex: f.has_oneof_index != 0 ? Int(f.oneof_index) : nil,
            isProto3Optional: f.proto3_optional != 0,
            comments: comments,
            position: position
        )
    }

    private static func enumeration(
        _ e: Google__Protobuf__EnumDescriptorProto,
        scope: String,
        path: [Int32],
        _ comments: Comments
    ) -> ProtoEnum {
        let name = string(e.name)
        return ProtoEnum(
            name: name,
            fullName: scope + name,
            values: pointers(e.value, e.n_value).enumerated().map {
                ProtoEnum.Value(
                    name: string($1.pointee.name),
                    number: $1.pointee.number,
                    comments: comments[path + [2, Int32($0)]]
                )
            },
            comments: comments[path]
        )
    }

    private static func service(
        _ s: Google__Protobuf__ServiceDescriptorProto,
        scope: String,
        path: [Int32],
        _ comments: Comments
    ) -> ProtoService {
        let name = string(s.name)
        return ProtoService(
            name: name,
            fullName: scope + name,
            methods: pointers(s.method, s.n_method).enumerated().map {
                let m = $1.pointee
                return ProtoService.Method(
                    name: string(m.name),
                    inputType: String(string(m.input_type).drop { $0 == "." }),
                    outputType: String(string(m.output_type).drop { $0 == "." }),
                    clientStreaming: m.client_streaming != 0,
                    serverStreaming: m.server_streaming != 0,
                    comments: comments[path + [2, Int32($0)]]
                )
            },
            comments: comments[path]
        )
    }

    /// Leading comments and source positions of a file's declarations, by their source-code-info path.
    private struct Comments {
        private var byPath: [[Int32]: String] = [:]
        private var positions: [[Int32]: SourcePosition] = [:]

        init(_ info: UnsafeMutablePointer<Google__Protobuf__SourceCodeInfo>?) {
            guard let info else { return }
            for location in pointers(info.pointee.location, info.pointee.n_location) {
                let l = location.pointee
                let path = Array(UnsafeBufferPointer(start: l.path, count: l.n_path))
                // span is [start line, start column, (end line,) end column], zero-based.
                if l.n_span >= 3, self.positions[path] == nil {
                    self.positions[path] = SourcePosition(line: Int(l.span[0]) + 1, column: Int(l.span[1]) + 1)
                }
                guard let leading = l.leading_comments else { continue }
                self.byPath[path] = String(cString: leading)
            }
        }

        subscript(path: [Int32]) -> String { self.byPath[path] ?? "" }

        /// Where the declaration at `path` starts, when protoc sent source code info for its file.
        func position(_ path: [Int32]) -> SourcePosition? { self.positions[path] }
    }

    private static func string(_ value: UnsafeMutablePointer<CChar>?) -> String {
        value.map { String(cString: $0) } ?? ""
    }

    private static func strings(_ values: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?, _ count: Int) -> [String]
    {
        (0..<count).map { string(values?[$0]) }
    }

    private static func pointers<T>(
        _ values: UnsafeMutablePointer<UnsafeMutablePointer<T>?>?,
        _ count: Int
    ) -> [UnsafeMutablePointer<T>] {
        (0..<count).compactMap { values?[$0] }
    }
}
