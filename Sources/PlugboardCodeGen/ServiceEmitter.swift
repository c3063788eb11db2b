internal import GRPCCodeGen

/// Writes GRPCCore service stubs with grpc-swift-2's own code generator, wired to the
/// libprotobuf-c serializers, and makes each service a `ProtobufC.DirectlyRegistrableService`
/// (its methods registered a second time, for Plugboard's server to run past GRPCCore's executor)
/// and each client call through a `ProtobufC.DirectClient` (unary calls past GRPCCore's client
/// executor, on clients Plugboard made).
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
            dependencies: [Dependency(module: "ProtobufC", accessLevel: .public)],
            services: services,
            makeSerializerCodeSnippet: { "ProtobufC.ProtobufSerializer<\($0)>()" },
            makeDeserializerCodeSnippet: { "ProtobufC.ProtobufDeserializer<\($0)>()" }
        )
        var config = CodeGenerator.Config(accessLevel: .public, accessLevelOnImports: true, client: true, server: true)
        config.indentation = 4
        var lines = try CodeGenerator(config: config).generate(request).contents
            .split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        for (grpcLines, directLines) in Self.directLines {
            guard Self.replace(grpcLines, with: directLines, in: &lines) == self.file.services.count else {
                throw GeneratorError(
                    message:
                        "grpc-swift's generator no longer writes '\(grpcLines.joined(separator: "\n"))' once per service"
                )
            }
        }
        return lines.joined(separator: "\n") + "\n" + services.map(Self.directRegistration).joined()
    }

    /// Lines of grpc-swift's stubs (without their indentation), and what replaces them: each
    /// service's protocol refines `DirectlyRegistrableService`, and each client calls through a
    /// `DirectClient`.
    private static let directLines: [([String], [String])] = [
        (
            ["public protocol StreamingServiceProtocol: GRPCCore.RegistrableRPCService {"],
            ["public protocol StreamingServiceProtocol: ProtobufC.DirectlyRegistrableService {"]
        ),
        (
            ["private let client: GRPCCore.GRPCClient<Transport>"],
            ["private let client: ProtobufC.DirectClient<Transport>"]
        ),
        (
            ["public init(wrapping client: GRPCCore.GRPCClient<Transport>) {", "self.client = client"],
            [
                "public init(wrapping client: GRPCCore.GRPCClient<Transport>) {",
                "self.client = ProtobufC.DirectClient(client)",
            ]
        ),
    ]

    /// Replaces each run of whole `old` lines (whatever their indentation, which is kept) with
    /// `new`, line for line; returns how many runs it replaced.
    private static func replace(_ old: [String], with new: [String], in lines: inout [String]) -> Int {
        var replaced = 0
        var index = lines.startIndex
        while index + old.count <= lines.endIndex {
            let run = lines[index..<index + old.count]
            guard zip(run, old).allSatisfy({ $0.drop(while: { $0 == " " }) == $1 }) else {
                index += 1
                continue
            }
            for (offset, line) in new.enumerated() {
                let indentation = lines[index + offset].prefix(while: { $0 == " " })
                lines[index + offset] = indentation + line
            }
            replaced += 1
            index += old.count
        }
        return replaced
    }

    /// The extension that registers a service's methods with a `DirectMethodTable`, exactly as
    /// grpc-swift's generated `registerMethods(with:)` registers them with an `RPCRouter`.
    private static func directRegistration(_ service: ServiceDescriptor) -> String {
        let type = service.name.typeName
        var writer = SwiftWriter()
        writer.line()
        writer.line("// Direct registration, for Plugboard's server (see 'ProtobufC.DirectlyRegistrableService').")
        writer.line("@available(macOS 15.0, iOS 18.0, watchOS 11.0, tvOS 18.0, visionOS 2.0, *)")
        writer.block("extension \(type).StreamingServiceProtocol") { writer in
            writer.block("public func registerDirectMethods(with table: inout ProtobufC.DirectMethodTable)") { writer in
                for method in service.methods {
                    writer.line("table.registerHandler(")
                    writer.line("    forMethod: \(type).Method.\(method.name.typeName).descriptor,")
                    writer.line("    deserializer: ProtobufC.ProtobufDeserializer<\(method.inputType)>(),")
                    writer.line("    serializer: ProtobufC.ProtobufSerializer<\(method.outputType)>(),")
                    writer.line("    handler: { request, context in")
                    writer.line(
                        "        try await self.`\(method.name.functionName)`(request: request, context: context)")
                    writer.line("    }")
                    writer.line(")")
                }
            }
        }
        return writer.text
    }

    private static func docComment(_ comment: String) -> String {
        var writer = SwiftWriter()
        writer.docComment(comment)
        return writer.text.hasSuffix("\n") ? String(writer.text.dropLast()) : writer.text
    }
}
