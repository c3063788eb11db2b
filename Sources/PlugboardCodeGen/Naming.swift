/// Names of generated Swift declarations and of the C identifiers that protoc-c 1.4.1 emits.
enum Naming {
    /// protoc-c's `ToCamel`: drop underscores, capitalizing the letter after each; `my_pkg` → `MyPkg`.
    static func upperCamel(_ name: String) -> String {
        name.split(separator: "_", omittingEmptySubsequences: true)
            .map { $0.prefix(1).uppercased() + $0.dropFirst() }
            .joined()
    }

    /// protoc-c's `CamelToLower`: `KitchenSink` → `kitchen_sink`, `GRPCThing` → `grpcthing`.
    static func camelToLower(_ name: String) -> String {
        var result = ""
        var previousWasUpper = true
        for character in name {
            if character.isUppercase {
                if !previousWasUpper { result += "_" }
                result += character.lowercased()
                previousWasUpper = true
            } else {
                result.append(character)
                previousWasUpper = false
            }
        }
        return result
    }

    /// The C type protoc-c gives a message or enum: `Plugboard__Test__V1__KitchenSink__Node`.
    static func cTypeName(package: String, path: [String]) -> String {
        (packagePieces(package) + path).map(upperCamel).joined(separator: "__")
    }

    /// The lower-case stem of protoc-c's functions and descriptors: `plugboard__test__v1__kitchen_sink__node`.
    static func cLowerName(package: String, path: [String]) -> String {
        (packagePieces(package) + path).map(camelToLower).joined(separator: "__")
    }

    /// The member name protoc-c gives a field: lower case, `_` appended to C++ keywords.
    static func cFieldName(_ name: String) -> String {
        let lower = name.lowercased()
        return cppKeywords.contains(lower) ? lower + "_" : lower
    }

    /// The Swift type prefix of a package: `plugboard.test.v1` → `Plugboard_Test_V1_`.
    static func swiftPrefix(package: String) -> String {
        packagePieces(package).map { upperCamel($0) + "_" }.joined()
    }

    /// The C module that holds a package's protoc-c output when no `c_module` option names one:
    /// `plugboard.test.v1` → `CPlugboardTestV1`.
    static func cModule(package: String) -> String {
        "C" + packagePieces(package).map(upperCamel).joined()
    }

    /// A Swift property or case name: `f_double` → `fDouble`, `HTTPHeaders` → `httpHeaders`.
    static func lowerCamel(_ name: String) -> String {
        let camel = upperCamel(name)
        let characters = Array(camel)
        var upperRun = 0
        while upperRun < characters.count, characters[upperRun].isUppercase { upperRun += 1 }
        let lowered = upperRun > 1 && upperRun < characters.count ? upperRun - 1 : upperRun
        let result = String(characters[..<lowered]).lowercased() + String(characters[lowered...])
        return result.isEmpty ? "_" : result
    }

    /// A Swift enum case name: strips the enum's own prefix (`COLOR_RED` in `Color` → `red`).
    static func enumCase(_ value: String, enumName: String) -> String {
        let prefix = upperSnake(enumName) + "_"
        var name = value
        if value.hasPrefix(prefix), let first = value.dropFirst(prefix.count).first, !first.isNumber {
            name = String(value.dropFirst(prefix.count))
        }
        let words = name.split(separator: "_").map { $0.lowercased() }
        guard let head = words.first else { return "_" }
        return head + words.dropFirst().map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined()
    }

    /// A name safe to use as a Swift identifier.
    static func escaped(_ name: String) -> String {
        swiftKeywords.contains(name) ? "`\(name)`" : name
    }

    private static func upperSnake(_ name: String) -> String {
        camelToLower(name).uppercased()
    }

    private static func packagePieces(_ package: String) -> [String] {
        package.isEmpty ? [] : package.split(separator: ".").map(String.init)
    }

    /// The keywords protoc-c 1.4.1 escapes in field names (C++98's list).
    private static let cppKeywords: Set<String> = [
        "and", "and_eq", "asm", "auto", "bitand", "bitor", "bool", "break", "case", "catch", "char", "class",
        "compl", "const", "const_cast", "continue", "default", "delete", "do", "double", "dynamic_cast", "else",
        "enum", "explicit", "export", "extern", "false", "float", "for", "friend", "goto", "if", "inline", "int",
        "long", "mutable", "namespace", "new", "not", "not_eq", "operator", "or", "or_eq", "private",
        "protected", "public", "register", "reinterpret_cast", "return", "short", "signed", "sizeof", "static",
        "static_cast", "struct", "switch", "template", "this", "throw", "true", "try", "typedef", "typeid",
        "typename", "union", "unsigned", "using", "virtual", "void", "volatile", "wchar_t", "while", "xor",
        "xor_eq",
    ]

    private static let swiftKeywords: Set<String> = [
        "associatedtype", "class", "deinit", "enum", "extension", "fileprivate", "func", "import", "init",
        "inout", "internal", "let", "open", "operator", "private", "precedencegroup", "protocol", "public",
        "rethrows", "static", "struct", "subscript", "typealias", "var", "break", "case", "catch", "continue",
        "default", "defer", "do", "else", "fallthrough", "for", "guard", "if", "in", "repeat", "return",
        "throw", "switch", "where", "while", "Any", "as", "false", "is", "nil", "self", "Self", "super",
        "throws", "true", "try", "Type", "Protocol", "some", "any",
    ]
}
