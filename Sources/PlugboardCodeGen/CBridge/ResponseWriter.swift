internal import CGoogleProtobuf
internal import CGoogleProtobufCompiler
internal import CProtobufC

#if canImport(Glibc)
import Glibc
#endif

/// Encodes a `CodeGeneratorResponse` with libprotobuf-c.
enum ResponseWriter {
    /// `CodeGeneratorResponse.Feature.FEATURE_PROTO3_OPTIONAL`: declared so that the generator, not
    /// protoc, explains why proto3 `optional` is refused and what to write instead.
    private static let proto3OptionalFeature: UInt64 = 1

    static func encode(_ result: GenerationResult) -> [UInt8] {
        var owned: [UnsafeMutablePointer<CChar>] = []
        defer { owned.forEach { free($0) } }
        func copy(_ string: String) -> UnsafeMutablePointer<CChar> {
            let pointer = strdup(string)!
            owned.append(pointer)
            return pointer
        }

        var files = result.files.map { file -> Google__Protobuf__Compiler__CodeGeneratorResponse__File in
            var c = Google__Protobuf__Compiler__CodeGeneratorResponse__File()
            google__protobuf__compiler__code_generator_response__file__init(&c)
            c.name = copy(file.name)
            c.content = copy(file.content)
            return c
        }
        return files.withUnsafeMutableBufferPointer { files in
            var filePointers: [UnsafeMutablePointer<Google__Protobuf__Compiler__CodeGeneratorResponse__File>?] =
                (0..<files.count).map { files.baseAddress! + $0 }
            var response = Google__Protobuf__Compiler__CodeGeneratorResponse()
            google__protobuf__compiler__code_generator_response__init(&response)
            response.has_supported_features = 1
            response.supported_features = proto3OptionalFeature
            if let error = result.error { response.error = copy(error) }
            return filePointers.withUnsafeMutableBufferPointer { pointers in
                response.n_file = pointers.count
                response.file = pointers.baseAddress
                let size = google__protobuf__compiler__code_generator_response__get_packed_size(&response)
                return [UInt8](unsafeUninitializedCapacity: size) { buffer, count in
                    count = google__protobuf__compiler__code_generator_response__pack(&response, buffer.baseAddress)
                }
            }
        }
    }
}
