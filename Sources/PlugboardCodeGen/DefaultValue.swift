/// Swift literals for proto2 `[default = …]` values, as protoc writes them in the descriptor.
enum DefaultValue {
    static func literal(_ text: String, for plan: FieldPlan) -> String {
        switch plan.field.kind {
        case .string: return stringLiteral(text)
        case .bytes: return "[" + unescapeC(text).map(String.init).joined(separator: ", ") + "]"
        case .enum:
            let e = plan.registry.enumeration(plan.field.typeName)
            return "." + Naming.escaped(Naming.enumCase(text, enumName: e.name))
        case .double, .float:
            switch text {
            case "inf": return "\(plan.valueType).infinity"
            case "-inf": return "-\(plan.valueType).infinity"
            case "nan": return "\(plan.valueType).nan"
            default: return text
            }
        default: return text
        }
    }

    /// A Swift string literal with the same characters as `text`.
    static func stringLiteral(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7f {
                    result += "\\u{\(String(scalar.value, radix: 16))}"
                } else {
                    result.unicodeScalars.append(scalar)
                }
            }
        }
        return result + "\""
    }

    /// Decodes protoc's C-escaped text of a `bytes` default (`\001`, `\x41`, `\n`, …).
    static func unescapeC(_ text: String) -> [UInt8] {
        let input = Array(text.utf8)
        var bytes: [UInt8] = []
        var index = 0
        while index < input.count {
            let byte = input[index]
            index += 1
            guard byte == UInt8(ascii: "\\"), index < input.count else {
                bytes.append(byte)
                continue
            }
            let escape = input[index]
            index += 1
            switch escape {
            case UInt8(ascii: "n"): bytes.append(0x0a)
            case UInt8(ascii: "r"): bytes.append(0x0d)
            case UInt8(ascii: "t"): bytes.append(0x09)
            case UInt8(ascii: "0")...UInt8(ascii: "7"):
                var value = Int(escape - UInt8(ascii: "0"))
                var digits = 1
                while digits < 3, index < input.count, (UInt8(ascii: "0")...UInt8(ascii: "7")).contains(input[index]) {
                    value = value * 8 + Int(input[index] - UInt8(ascii: "0"))
                    index += 1
                    digits += 1
                }
                bytes.append(UInt8(truncatingIfNeeded: value))
            case UInt8(ascii: "x"):
                var value = 0
                while index < input.count, let digit = hexValue(input[index]) {
                    value = value * 16 + digit
                    index += 1
                }
                bytes.append(UInt8(truncatingIfNeeded: value))
            default: bytes.append(escape)
            }
        }
        return bytes
    }

    private static func hexValue(_ byte: UInt8) -> Int? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): Int(byte - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): Int(byte - UInt8(ascii: "a")) + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): Int(byte - UInt8(ascii: "A")) + 10
        default: nil
        }
    }
}
