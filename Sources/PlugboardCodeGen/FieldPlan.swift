/// How one field is declared in Swift and copied between Swift and the protoc-c struct.
///
/// Decoding statements read the C struct `m` into `self`; encoding statements write `self` into
/// the C struct pointer `c`, allocating from `arena`.
struct FieldPlan {
    let field: ProtoField
    let registry: TypeRegistry
    let syntax: ProtoFile.Syntax
    /// The message that declares the field.
    let container: String

    /// The Swift property name, escaped where it is a keyword.
    var name: String { Naming.escaped(Naming.lowerCamel(self.field.name)) }
    /// The member name protoc-c gives the field.
    var cName: String { Naming.cFieldName(self.field.name) }

    var isMap: Bool {
        self.field.label == .repeated && self.field.kind == .message
            && self.registry.message(self.field.typeName).isMapEntry
    }

    /// A singular message field whose type can contain its container: stored in a `ProtobufBox`.
    var isBoxed: Bool {
        self.field.kind == .message && self.field.label != .repeated
            && self.registry.reaches(self.container, from: self.field.typeName, singularOnly: true)
    }

    /// Presence is tracked: proto2 `optional`, or any singular message field.
    var hasPresence: Bool {
        self.field.label == .optional && (self.syntax == .proto2 || self.field.kind == .message)
    }

    var swiftType: String {
        if self.isMap {
            let entry = self.registry.message(self.field.typeName)
            let key = FieldPlan(
                field: entry.fields[0], registry: self.registry, syntax: .proto3, container: entry.fullName)
            let value = FieldPlan(
                field: entry.fields[1], registry: self.registry, syntax: .proto3, container: entry.fullName)
            return "[\(key.valueType): \(value.valueType)]"
        }
        if self.field.label == .repeated { return "[\(self.valueType)]" }
        return self.hasPresence ? "\(self.valueType)?" : self.valueType
    }

    /// The Swift type of one value of the field.
    var valueType: String {
        switch self.field.kind {
        case .double: "Double"
        case .float: "Float"
        case .int32, .sint32, .sfixed32: "Int32"
        case .int64, .sint64, .sfixed64: "Int64"
        case .uint32, .fixed32: "UInt32"
        case .uint64, .fixed64: "UInt64"
        case .bool: "Bool"
        case .string: "String"
        case .bytes: "[UInt8]"
        case .enum, .message: self.registry[self.field.typeName].swiftName
        case .group: "Never"
        }
    }

    var defaultValue: String {
        if self.isMap { return "[:]" }
        if self.field.label == .repeated { return "[]" }
        if self.hasPresence { return "nil" }
        return self.zeroValue
    }

    /// The value a field holds when it is not set and has no declared default.
    var zeroValue: String {
        switch self.field.kind {
        case .bool: "false"
        case .string: "\"\""
        case .bytes: "[]"
        case .enum: "." + self.firstEnumCase
        case .message: "\(self.valueType)()"
        default: "0"
        }
    }

    private var firstEnumCase: String {
        let e = self.registry.enumeration(self.field.typeName)
        return Naming.escaped(Naming.enumCase(e.values[0].name, enumName: e.name))
    }

    /// The C type of one element, for arrays whose element types differ between Swift and C.
    var cElementType: String {
        switch self.field.kind {
        case .enum, .message: self.registry[self.field.typeName].cTypeName
        case .bool: "protobuf_c_boolean"
        case .bytes: "ProtobufCBinaryData"
        default: self.valueType
        }
    }

    /// Converts the C expression `c` holding one value to Swift.
    func toSwift(_ c: String) -> String {
        switch self.field.kind {
        case .bool: "\(c) != 0"
        case .string: "ProtobufCRuntime.string(\(c))"
        case .bytes: "ProtobufCRuntime.bytes(\(c))"
        case .enum: "\(self.valueType)(rawValue: Int32(truncatingIfNeeded: \(c).rawValue))"
        case .message: "ProtobufCRuntime.message(\(c), as: \(self.valueType).self) ?? \(self.valueType)()"
        default: c
        }
    }

    /// Converts the Swift expression `value` holding one value to C.
    func toC(_ value: String) -> String {
        switch self.field.kind {
        case .bool: "protobuf_c_boolean(\(value) ? 1 : 0)"
        case .string: "try arena.string(\(value), field: \"\(self.field.name)\")"
        case .bytes: "arena.bytes(\(value))"
        case .enum: "\(self.cElementType)(rawValue: .init(truncatingIfNeeded: \(value).rawValue))"
        case .message: "try arena.message(\(value), as: \(self.cElementType).self)"
        default: value
        }
    }

    /// Whether Swift and C store a value the same way, so arrays copy without conversion.
    var isPlainScalar: Bool {
        switch self.field.kind {
        case .bool, .string, .bytes, .enum, .message, .group: false
        default: true
        }
    }
}
