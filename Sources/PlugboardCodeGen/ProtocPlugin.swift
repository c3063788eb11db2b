/// protoc's side of the generator: a `CodeGeneratorRequest` in, a `CodeGeneratorResponse` out.
package enum ProtocPlugin {
    /// The response to the encoded request `bytes`: the generated files, or the error protoc
    /// should print (a `.proto` the generator cannot turn into code).
    ///
    /// - Throws: `GeneratorError` when the bytes are not a request libprotobuf-c can decode.
    package static func respond(to bytes: [UInt8]) throws -> [UInt8] {
        let request = try RequestReader.read(bytes)
        let result: GenerationResult
        do {
            result = GenerationResult(files: try Generator(request).generate())
        } catch let error as GeneratorError {
            result = GenerationResult(error: error.message)
        }
        return ResponseWriter.encode(result)
    }
}
