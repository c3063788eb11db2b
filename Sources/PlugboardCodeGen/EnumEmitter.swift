/// Writes a Swift enum for a proto enum; values not declared in the `.proto` are kept as `.unrecognized`.
enum EnumEmitter {
    static func declare(_ e: ProtoEnum, name: String, into w: inout SwiftWriter) {
        var seen: Set<Int32> = []
        let cases = e.values.filter { seen.insert($0.number).inserted }
        let aliases = e.values.filter { value in !cases.contains { $0.name == value.name } }
        func caseName(_ value: ProtoEnum.Value) -> String {
            Naming.escaped(Naming.enumCase(value.name, enumName: e.name))
        }

        w.docComment(e.comments)
        w.block("public enum \(name): Sendable, Hashable, CaseIterable") { w in
            for value in cases {
                w.docComment(value.comments)
                w.line("case \(caseName(value))")
            }
            w.line("/// A value this version of the `.proto` does not declare, kept as it came.")
            w.line("case unrecognized(Int32)")
            w.line()
            w.line("public static let allCases: [Self] = [\(cases.map { "." + caseName($0) }.joined(separator: ", "))]")
            for alias in aliases {
                let original = cases.first { $0.number == alias.number }!
                w.line("public static let \(caseName(alias)): Self = .\(caseName(original))")
            }
            w.line()
            w.block("public init(rawValue: Int32)") { w in
                w.switchBlock("switch rawValue") { w in
                    for value in cases { w.line("case \(value.number): self = .\(caseName(value))") }
                    w.line("default: self = .unrecognized(rawValue)")
                }
            }
            w.line()
            w.block("public var rawValue: Int32") { w in
                w.switchBlock("switch self") { w in
                    for value in cases { w.line("case .\(caseName(value)): \(value.number)") }
                    w.line("case .unrecognized(let value): value")
                }
            }
        }
    }
}
