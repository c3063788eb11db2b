import Logging

/// Builds hclog JSON lines by hand: fixed key order, then metadata keys sorted, as Go's encoder does.
enum HCLogEncoder {
    static let reservedKeys: Set<String> = ["@level", "@message", "@module", "@timestamp"]

    /// One complete line including the trailing `"\n"`.
    static func line(
        level: Logger.Level,
        message: String,
        module: String,
        timestamp: HCLogTimestamp,
        metadata: Logger.Metadata
    ) -> String {
        var out = "{\"@level\":\"\(Self.hclogName(of: level))\",\"@message\":"
        Self.appendString(message, to: &out)
        out += ",\"@module\":"
        Self.appendString(module, to: &out)
        out += ",\"@timestamp\":\"\(timestamp.description)\""
        for key in metadata.keys.sorted() where !Self.reservedKeys.contains(key) {
            out += ","
            Self.appendString(key, to: &out)
            out += ":"
            Self.appendValue(metadata[key]!, to: &out)
        }
        out += "}\n"
        return out
    }

    /// hclog's name for a swift-log level.
    static func hclogName(of level: Logger.Level) -> String {
        switch level {
        case .trace: return "trace"
        case .debug: return "debug"
        case .info, .notice: return "info"
        case .warning: return "warn"
        case .error, .critical: return "error"
        }
    }

    private static func appendValue(_ value: Logger.MetadataValue, to out: inout String) {
        switch value {
        case .string(let text):
            Self.appendString(text, to: &out)
        case .stringConvertible(let convertible):
            Self.appendString(convertible.description, to: &out)
        case .array(let values):
            out += "["
            for (index, element) in values.enumerated() {
                if index > 0 { out += "," }
                Self.appendValue(element, to: &out)
            }
            out += "]"
        case .dictionary(let members):
            out += "{"
            for (index, key) in members.keys.sorted().enumerated() {
                if index > 0 { out += "," }
                Self.appendString(key, to: &out)
                out += ":"
                Self.appendValue(members[key]!, to: &out)
            }
            out += "}"
        }
    }

    /// Appends `text` as a JSON string literal, escaping quotes, backslashes and control characters.
    static func appendString(_ text: String, to out: inout String) {
        out += "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20 || scalar.value == 0x7F:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default:
                out.unicodeScalars.append(scalar)
            }
        }
        out += "\""
    }
}
