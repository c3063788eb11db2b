import Logging

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Any JSON value, decoded with Foundation's `JSONDecoder`; numbers keep a decimal text form.
enum JSONValue: Decodable, Equatable {
    case null
    case bool(Bool)
    case number(String)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Int64.self) {
            self = .number(String(value))
        } else if let value = try? container.decode(Double.self) {
            self = .number(String(value))
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    /// Decodes a line holding one JSON object; `nil` if it is not exactly that.
    static func object(in line: Substring) -> [String: JSONValue]? {
        guard line.first(where: { !$0.isWhitespace }) == "{" else { return nil }
        return try? JSONDecoder().decode([String: JSONValue].self, from: Data(line.utf8))
    }

    /// The value as log metadata: strings stay strings, numbers/booleans/null become their JSON text.
    var metadataValue: Logger.MetadataValue {
        switch self {
        case .null: return .string("null")
        case .bool(let value): return .string(String(value))
        case .number(let text), .string(let text): return .string(text)
        case .array(let values): return .array(values.map(\.metadataValue))
        case .object(let members): return .dictionary(members.mapValues(\.metadataValue))
        }
    }

    var stringValue: String? {
        if case .string(let text) = self { return text }
        return nil
    }
}
