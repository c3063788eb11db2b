package import Logging  // Logger.Level and Logger.Metadata are part of this type

/// One stderr line of a plugin, classified the way a go-plugin host does it (protocol §10).
package struct ParsedLogLine: Equatable, Sendable {
    /// The level to re-log the line at on the host.
    package var level: Logger.Level
    /// `@message` for hclog JSON lines; the whole line (prefix included) otherwise.
    package var message: String
    /// Every JSON key other than `@level`, `@message` and `@timestamp` (so `@module` is here too).
    package var metadata: Logger.Metadata
    /// `@timestamp`, when the line was hclog JSON and had one.
    package var timestamp: HCLogTimestamp?
    /// Whether the line was an hclog JSON object with a known level (otherwise it is shown as raw text).
    package var isStructured: Bool

    /// Creates a parsed line.
    package init(
        level: Logger.Level,
        message: String,
        metadata: Logger.Metadata = [:],
        timestamp: HCLogTimestamp? = nil,
        isStructured: Bool = false
    ) {
        self.level = level
        self.message = message
        self.metadata = metadata
        self.timestamp = timestamp
        self.isStructured = isStructured
    }

    /// Re-logs the line on `logger` at its level, adding `timestamp` (the plugin's clock) to the metadata.
    ///
    /// The host usually passes a logger whose metadata names the plugin (`plugin.name`, `plugin.pid`).
    package func log(to logger: Logger, file: String = #fileID, function: String = #function, line: UInt = #line) {
        var metadata = self.metadata
        if let timestamp = self.timestamp {
            metadata["timestamp"] = .string(timestamp.description)
        }
        logger.log(
            level: self.level,
            Logger.Message(stringLiteral: self.message),
            metadata: metadata,
            file: file,
            function: function,
            line: line
        )
    }
}
