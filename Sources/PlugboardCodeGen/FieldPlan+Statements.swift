extension FieldPlan {
    /// The name of the private stored property that boxes a recursive field.
    var boxName: String { "_" + Naming.lowerCamel(self.field.name) }

    /// Whether converting one value to C can throw (strings may hold NUL; messages contain strings).
    private var conversionThrows: Bool { self.field.kind == .string || self.field.kind == .message }

    /// The statement that reads this field from the C struct `m` into `self`.
    func decodeStatement() -> String {
        let value = "m.\(self.cName)"
        let count = "m.n_\(self.cName)"
        if self.isMap {
            let (key, item) = self.mapPlans
            return "self.\(self.name) = ProtobufCRuntime.map(\(value), count: \(count)) { "
                + "(\(key.toSwift("$0.key")), \(item.toSwift("$0.value"))) }"
        }
        if self.field.label == .repeated {
            if self.isPlainScalar { return "self.\(self.name) = ProtobufCRuntime.array(\(value), count: \(count))" }
            if self.field.kind == .message {
                return
                    "self.\(self.name) = ProtobufCRuntime.messages(\(value), count: \(count), as: \(self.valueType).self)"
            }
            return "self.\(self.name) = ProtobufCRuntime.array(\(value), count: \(count)) { \(self.toSwift("$0")) }"
        }
        if self.field.kind == .message {
            let message = "ProtobufCRuntime.message(\(value), as: \(self.valueType).self)"
            if self.isBoxed { return "self.\(self.boxName) = \(message).map(ProtobufBox.init)" }
            return "self.\(self.name) = " + (self.hasPresence ? message : self.toSwift(value))
        }
        guard self.hasPresence else { return "self.\(self.name) = \(self.toSwift(value))" }
        if self.field.kind == .string {
            return "self.\(self.name) = ProtobufCRuntime.isPresent(\(value), field: \(self.field.number), "
                + "in: Self._protobufCDescriptor) ? \(self.toSwift(value)) : nil"
        }
        return "self.\(self.name) = m.has_\(self.cName) != 0 ? \(self.toSwift(value)) : nil"
    }

    /// The statements that write this field from `self` into the C struct pointer `c`.
    func encodeStatements() -> [String] {
        let target = "c.pointee.\(self.cName)"
        let counted = "(c.pointee.n_\(self.cName), \(target))"
        let value = "self.\(self.name)"
        if self.isMap {
            let (key, item) = self.mapPlans
            let entry = self.registry[self.field.typeName]
            let tryKeyword = key.conversionThrows || item.conversionThrows ? "try " : ""
            return [
                "\(counted) = \(tryKeyword)arena.mapEntries(\(value), as: \(entry.cTypeName).self) { key, value, entry in",
                "    \(entry.cLowerName)__init(entry)",
                "    entry.pointee.key = \(key.toC("key"))",
                "    entry.pointee.value = \(item.toC("value"))",
                "}",
            ]
        }
        if self.field.label == .repeated {
            if self.isPlainScalar { return ["\(counted) = arena.repeated(\(value))"] }
            switch self.field.kind {
            case .string: return ["\(counted) = try arena.strings(\(value), field: \"\(self.field.name)\")"]
            case .message: return ["\(counted) = try arena.messages(\(value), as: \(self.cElementType).self)"]
            default: return ["\(counted) = arena.repeated(\(value)) { \(self.toC("$0")) }"]
            }
        }
        guard self.hasPresence else { return ["\(target) = \(self.toC(value))"] }
        if self.field.kind == .message || self.field.kind == .string {
            return ["if let value = \(value) { \(target) = \(self.toC("value")) }"]
        }
        return [
            "if let value = \(value) {", "    c.pointee.has_\(self.cName) = 1", "    \(target) = \(self.toC("value"))",
            "}",
        ]
    }

    /// The key and value of a map field's entry message.
    private var mapPlans: (key: FieldPlan, value: FieldPlan) {
        let entry = self.registry.message(self.field.typeName)
        func plan(_ field: ProtoField) -> FieldPlan {
            FieldPlan(field: field, registry: self.registry, syntax: .proto3, container: entry.fullName)
        }
        return (plan(entry.fields[0]), plan(entry.fields[1]))
    }
}
