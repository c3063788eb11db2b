/// Every message and enum of the request by full name, with its Swift and C names.
struct TypeRegistry {
    struct Entry {
        enum Kind { case message(ProtoMessage), enumeration(ProtoEnum) }

        var kind: Kind
        var fullName: String
        var file: String
        var swiftName: String
        var cTypeName: String
        var cLowerName: String
        var syntax: ProtoFile.Syntax
    }

    private(set) var entries: [String: Entry] = [:]

    init(_ files: [ProtoFile]) {
        for file in files {
            let prefix = Naming.swiftPrefix(package: file.package)
            for message in file.messages {
                self.add(message, file: file, path: [], swiftParent: nil, prefix: prefix)
            }
            for enumeration in file.enums {
                self.add(enumeration, file: file, path: [], swiftName: prefix + enumeration.name)
            }
        }
    }

    subscript(fullName: String) -> Entry {
        guard let entry = self.entries[fullName] else {
            preconditionFailure("protoc sent no descriptor for \(fullName)")
        }
        return entry
    }

    func message(_ fullName: String) -> ProtoMessage {
        guard case .message(let message) = self[fullName].kind else { preconditionFailure("\(fullName) is no message") }
        return message
    }

    func enumeration(_ fullName: String) -> ProtoEnum {
        guard case .enumeration(let e) = self[fullName].kind else { preconditionFailure("\(fullName) is no enum") }
        return e
    }

    /// Whether `target` can be reached from `start` by following message-typed fields.
    ///
    /// - Parameter singularOnly: follow only fields stored inline (not repeated, not maps).
    func reaches(_ target: String, from start: String, singularOnly: Bool) -> Bool {
        var seen: Set<String> = []
        var pending = [start]
        while let current = pending.popLast() {
            if current == target { return true }
            guard seen.insert(current).inserted else { continue }
            for field in self.message(current).fields where field.kind == .message {
                if singularOnly, field.label == .repeated { continue }
                pending.append(field.typeName)
            }
        }
        return false
    }

    /// Whether bytes of this message can nest without bound: some message type reachable from it
    /// (itself included) can contain itself.
    func canNestWithoutBound(_ fullName: String) -> Bool {
        var seen: Set<String> = []
        var pending = [fullName]
        while let current = pending.popLast() {
            guard seen.insert(current).inserted else { continue }
            let children = self.message(current).fields.filter { $0.kind == .message }.map(\.typeName)
            if children.contains(where: { self.reaches(current, from: $0, singularOnly: false) }) { return true }
            pending += children
        }
        return false
    }

    private mutating func add(
        _ message: ProtoMessage,
        file: ProtoFile,
        path: [String],
        swiftParent: String?,
        prefix: String
    ) {
        let path = path + [message.name]
        let swiftName = swiftParent.map { "\($0).\(message.name)" } ?? prefix + message.name
        self.entries[message.fullName] = Entry(
            kind: .message(message),
            fullName: message.fullName,
            file: file.name,
            swiftName: swiftName,
            cTypeName: Naming.cTypeName(package: file.package, path: path),
            cLowerName: Naming.cLowerName(package: file.package, path: path),
            syntax: file.syntax
        )
        for nested in message.messages {
            self.add(nested, file: file, path: path, swiftParent: swiftName, prefix: prefix)
        }
        for enumeration in message.enums {
            self.add(enumeration, file: file, path: path, swiftName: "\(swiftName).\(enumeration.name)")
        }
    }

    private mutating func add(_ enumeration: ProtoEnum, file: ProtoFile, path: [String], swiftName: String) {
        self.entries[enumeration.fullName] = Entry(
            kind: .enumeration(enumeration),
            fullName: enumeration.fullName,
            file: file.name,
            swiftName: swiftName,
            cTypeName: Naming.cTypeName(package: file.package, path: path + [enumeration.name]),
            cLowerName: Naming.cLowerName(package: file.package, path: path + [enumeration.name]),
            syntax: file.syntax
        )
    }
}
