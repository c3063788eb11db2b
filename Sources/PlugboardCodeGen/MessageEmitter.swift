/// Writes a message's Swift struct and its conformance to `ProtobufMessage`.
struct MessageEmitter {
    let registry: TypeRegistry
    let file: ProtoFile

    private func plans(_ message: ProtoMessage) -> [FieldPlan] {
        message.fields.map {
            FieldPlan(field: $0, registry: self.registry, syntax: self.file.syntax, container: message.fullName)
        }
    }

    /// The struct, with its fields, oneof enums, nested enums and nested messages.
    func declare(_ message: ProtoMessage, into w: inout SwiftWriter, nested: Bool) throws {
        let plans = self.plans(message)
        try self.validate(message, plans)
        let name = nested ? message.name : self.registry[message.fullName].swiftName
        w.docComment(message.comments)
        try w.block("public struct \(name): ProtobufMessage") { w in
            for plan in plans where plan.field.oneofIndex == nil {
                self.declareField(plan, into: &w)
            }
            for (index, oneof) in message.oneofs.enumerated()
            where plans.contains(where: { $0.field.oneofIndex == index }) {
                w.line(
                    "public var \(Naming.escaped(Naming.lowerCamel(oneof))): OneOf_\(Naming.upperCamel(oneof))? = nil")
            }
            for plan in plans where plan.isBoxed {
                w.line("private var \(plan.boxName): ProtobufBox<\(plan.valueType)>? = nil")
            }
            w.line()
            w.line("public init() {}")
            for (index, oneof) in message.oneofs.enumerated() {
                let members = plans.filter { $0.field.oneofIndex == index }
                guard !members.isEmpty else { continue }
                w.line()
                w.block("public enum OneOf_\(Naming.upperCamel(oneof)): Sendable, Hashable") { w in
                    for member in members {
                        w.docComment(member.field.comments)
                        let indirect = member.isBoxed ? "indirect " : ""
                        w.line("\(indirect)case \(member.name)(\(member.valueType))")
                    }
                }
            }
            for enumeration in message.enums {
                w.line()
                EnumEmitter.declare(enumeration, name: enumeration.name, into: &w)
            }
            for nestedMessage in message.messages where !nestedMessage.isMapEntry {
                w.line()
                try self.declare(nestedMessage, into: &w, nested: true)
            }
        }
    }

    private func declareField(_ plan: FieldPlan, into w: inout SwiftWriter) {
        w.docComment(plan.field.comments)
        if plan.isBoxed {
            w.block("public var \(plan.name): \(plan.swiftType)") { w in
                w.line("get { self.\(plan.boxName)?.value }")
                w.line("set { self.\(plan.boxName) = newValue.map(ProtobufBox.init) }")
            }
        } else {
            w.line("public var \(plan.name): \(plan.swiftType) = \(plan.defaultValue)")
        }
        if plan.hasPresence, let text = plan.field.defaultValue, plan.field.kind != .message {
            let literal = DefaultValue.literal(text, for: plan)
            w.line("/// `\(Naming.lowerCamel(plan.field.name))`, or its declared default when it is absent.")
            w.line(
                "public var \(Naming.lowerCamel(plan.field.name))OrDefault: \(plan.valueType) { self.\(plan.name) ?? \(literal) }"
            )
        }
    }

    /// The `ProtobufMessage` conformance: descriptor, decoding from C and encoding into C.
    func conform(_ message: ProtoMessage, into w: inout SwiftWriter) {
        let entry = self.registry[message.fullName]
        let plans = self.plans(message)
        let isRecursive = self.registry.canNestWithoutBound(message.fullName)
        w.line()
        w.block("extension \(entry.swiftName)") { w in
            w.line("public static let protoMessageName = \"\(message.fullName)\"")
            // The C bridge requirements are ProtobufC's SPI, so their witnesses are too.
            let spi = "@_spi(ProtobufCGenerated) public"
            if isRecursive { w.line("\(spi) static var _protobufCIsRecursive: Bool { true }") }
            w.line("\(spi) nonisolated(unsafe) static let _protobufCDescriptor: UnsafeRawPointer = {")
            w.line("    var message = \(entry.cTypeName)()")
            w.line("    \(entry.cLowerName)__init(&message)")
            w.line("    return UnsafeRawPointer(message.base.descriptor)")
            w.line("}()")
            w.line()
            w.block("\(spi) init(_protobufC message: UnsafeRawPointer)") { w in
                guard !plans.isEmpty else { return }
                w.line("let m = message.assumingMemoryBound(to: \(entry.cTypeName).self).pointee")
                for plan in plans where plan.field.oneofIndex == nil { w.line(plan.decodeStatement()) }
                for (index, oneof) in message.oneofs.enumerated() {
                    self.decodeOneof(oneof, members: plans.filter { $0.field.oneofIndex == index }, into: &w)
                }
            }
            w.line()
            w.block("\(spi) func _protobufCFill(_ message: UnsafeMutableRawPointer, arena: ProtobufCArena) throws") {
                w in
                guard !plans.isEmpty else { return }
                w.line("let c = message.assumingMemoryBound(to: \(entry.cTypeName).self)")
                for plan in plans where plan.field.oneofIndex == nil {
                    plan.encodeStatements().forEach { w.line($0) }
                }
                for (index, oneof) in message.oneofs.enumerated() {
                    self.encodeOneof(oneof, members: plans.filter { $0.field.oneofIndex == index }, into: &w)
                }
            }
        }
        for nested in message.messages where !nested.isMapEntry {
            self.conform(nested, into: &w)
        }
    }

    private func decodeOneof(_ oneof: String, members: [FieldPlan], into w: inout SwiftWriter) {
        guard !members.isEmpty else { return }
        let property = "self." + Naming.escaped(Naming.lowerCamel(oneof))
        w.switchBlock("switch m.\(Naming.camelToLower(oneof))_case.rawValue") { w in
            for member in members {
                w.line(
                    "case \(member.field.number): \(property) = .\(member.name)(\(member.toSwift("m.\(member.cName)")))"
                )
            }
            w.line("default: \(property) = nil")
        }
    }

    private func encodeOneof(_ oneof: String, members: [FieldPlan], into w: inout SwiftWriter) {
        guard !members.isEmpty else { return }
        w.switchBlock("switch self.\(Naming.escaped(Naming.lowerCamel(oneof)))") { w in
            for member in members {
                w.line("case .\(member.name)(let value)?:")
                w.line("    c.pointee.\(Naming.camelToLower(oneof))_case = .init(rawValue: \(member.field.number))")
                w.line("    c.pointee.\(member.cName) = \(member.toC("value"))")
            }
            w.line("case nil:")
            w.line("    break")
        }
    }

    /// Rejects what protoc-c or the generated Swift cannot represent, saying what to write instead.
    private func validate(_ message: ProtoMessage, _ plans: [FieldPlan]) throws {
        for plan in plans {
            func failure(_ problem: String) -> GeneratorError {
                GeneratorError(
                    file: self.file.name,
                    at: plan.field.position,
                    "field \(message.fullName).\(plan.field.name)\(problem)"
                )
            }
            if plan.field.isProto3Optional {
                throw failure(
                    " is a proto3 `optional` field, which protoc-c 1.4.1 (the C code generator "
                        + "Plugboard encodes with) refuses. Declare it as a oneof of one field "
                        + "(`oneof \(plan.field.name)_value { … \(plan.field.name) = \(plan.field.number); }`) "
                        + "or wrap the value in a message, whose presence is always tracked."
                )
            }
            if plan.field.kind == .group {
                throw failure(" is a proto2 group, which Plugboard does not support; use a nested message.")
            }
            if plan.cName == "base" {
                throw failure(
                    ": protoc-c names this field `base`, which collides with the `base` member "
                        + "every protoc-c struct has; rename the field (the number, not the name, is what goes on the wire)."
                )
            }
            if plan.isBoxed, plan.field.label == .required {
                throw failure(
                    " is a required field that makes \(message.fullName) contain itself forever; make it optional.")
            }
        }
    }
}
