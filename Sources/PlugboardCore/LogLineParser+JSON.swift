import Logging

extension LogLineParser {
    /// The hclog JSON reading of a line, or `nil` when a go-plugin host would treat it as raw text.
    ///
    /// Raw text means: not a JSON object, `@message`/`@level`/`@timestamp` present but not strings, or a
    /// `@timestamp` not in hclog's layout. A JSON object with a missing or unknown `@level` is kept as the
    /// whole line at debug, as Go does.
    static func parseJSON(_ text: Substring) -> ParsedLogLine? {
        guard var object = JSONValue.object(in: text) else { return nil }
        var message = ""
        var levelName = ""
        var timestamp: HCLogTimestamp?
        if let value = object.removeValue(forKey: "@message") {
            guard let string = value.stringValue else { return nil }
            message = string
        }
        if let value = object.removeValue(forKey: "@level") {
            guard let string = value.stringValue else { return nil }
            levelName = string
        }
        if let value = object.removeValue(forKey: "@timestamp") {
            guard let string = value.stringValue, let parsed = HCLogTimestamp(parsing: string) else { return nil }
            timestamp = parsed
        }
        guard let level = Self.level(named: levelName) else {
            return ParsedLogLine(level: .debug, message: String(text))
        }
        return ParsedLogLine(
            level: level,
            message: message,
            metadata: object.mapValues(\.metadataValue),
            timestamp: timestamp,
            isStructured: true
        )
    }
}
