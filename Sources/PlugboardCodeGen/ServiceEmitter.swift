internal import GRPCCodeGen

/// Writes GRPCCore service stubs with grpc-swift-2's own code generator, wired to the
/// libprotobuf-c serializers.
struct ServiceEmitter {
    let registry: TypeRegistry
    let file: ProtoFile
    let header: String

    func emit() throws -> String {
        let services = self.file.services.map { service in
            ServiceDescriptor(
                documentation: Self.docComment(service.comments),
                name: ServiceName(
                    identifyingName: service.fullName,
                    typeName: Naming.swiftPrefix(package: self.file.package) + service.name,
                    propertyName: Naming.swiftPrefix(package: self.file.package).lowercased() + service.name
                ),
                methods: service.methods.map { method in
                    MethodDescriptor(
                        documentation: Self.docComment(method.comments),
                        name: MethodName(
                            identifyingName: method.name,
                            typeName: Naming.upperCamel(method.name),
                            functionName: Naming.lowerCamel(method.name)
                        ),
                        isInputStreaming: method.clientStreaming,
                        isOutputStreaming: method.serverStreaming,
                        inputType: self.registry[method.inputType].swiftName,
                        outputType: self.registry[method.outputType].swiftName
                    )
                }
            )
        }
        let request = CodeGenerationRequest(
            fileName: self.file.name,
            leadingTrivia: self.header,
            dependencies: [Dependency(module: "ProtobufC", accessLevel: .internal)],
            services: services,
            makeSerializerCodeSnippet: { "ProtobufC.ProtobufSerializer<\($0)>()" },
            makeDeserializerCodeSnippet: { "ProtobufC.ProtobufDeserializer<\($0)>()" }
        )
        var config = CodeGenerator.Config(accessLevel: .public, accessLevelOnImports: true, client: true, server: true)
        config.indentation = 4
        return try CodeGenerator(config: config).generate(request).contents
    }

    private static func docComment(_ comment: String) -> String {
        var writer = SwiftWriter()
        writer.docComment(comment)
        return writer.text.hasSuffix("\n") ? String(writer.text.dropLast()) : writer.text
    }
}
