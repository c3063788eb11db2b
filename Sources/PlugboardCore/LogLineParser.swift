import Logging

/// Classifies a plugin's stderr lines one by one, remembering whether the plugin has started to panic.
///
/// hclog JSON objects keep their level, message, metadata and timestamp. Other lines are raw text:
/// `[TRACE]`, `[DEBUG]`, `[INFO]`, `[WARN]` and `[ERROR]` prefixes pick the level, and a line starting with
/// `panic: ` or `fatal error: ` switches every later raw line to error (a Go stack trace follows).
/// Everything else is debug. Use one parser per plugin process.
///
/// ```swift
/// var parser = LogLineParser()
/// for try await line in stderrLines { parser.parse(line).log(to: pluginLogger) }
/// ```
package struct LogLineParser: Hashable, Sendable {
    /// Whether a `panic: ` or `fatal error: ` line has been seen; later raw lines are errors.
    package private(set) var isPanicking = false

    /// Creates a parser for a new stream.
    package init() {}

    /// Classifies one line; a trailing `\n` or `\r\n` is removed first.
    package mutating func parse(_ line: String) -> ParsedLogLine {
        var text = Substring(line)
        while let last = text.last, last == "\n" || last == "\r" || last == "\r\n" { text = text.dropLast() }
        if let structured = Self.parseJSON(text) { return structured }
        return ParsedLogLine(level: self.rawLevel(of: text), message: String(text))
    }

    /// The level of a line that is not hclog JSON; updates the panic state.
    private mutating func rawLevel(of text: Substring) -> Logger.Level {
        if self.isPanicking { return .error }
        if text.hasPrefix("panic: ") || text.hasPrefix("fatal error: ") {
            self.isPanicking = true
            return .error
        }
        for (prefix, level) in Self.prefixLevels where text.hasPrefix(prefix) {
            return level
        }
        return .debug
    }

    private static let prefixLevels: [(String, Logger.Level)] = [
        ("[TRACE]", .trace), ("[DEBUG]", .debug), ("[INFO]", .info), ("[WARN]", .warning), ("[ERROR]", .error),
    ]

    /// hclog's level names (trimmed, any case) mapped to swift-log levels; "off" and others are unknown.
    static func level(named name: String) -> Logger.Level? {
        switch Handshake.trimmed(name).lowercased() {
        case "trace": return .trace
        case "debug": return .debug
        case "info": return .info
        case "warn": return .warning
        case "error": return .error
        default: return nil
        }
    }
}

/// A single line with no stream state; a `panic: ` line is still reported as an error.
package enum LogLine {
    /// Classifies one stderr line on its own. Use ``LogLineParser`` for a stream.
    package static func parse(_ line: String) -> ParsedLogLine {
        var parser = LogLineParser()
        return parser.parse(line)
    }
}
