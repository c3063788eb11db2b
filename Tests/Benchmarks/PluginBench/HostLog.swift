import Logging
import PlugboardCore
import Synchronization

/// What the host logged: lines at `printed` and above go to stderr (by default warnings, as
/// echo-host passes go-plugin's warnings on), and the host's own "had to signal the plugin" lines
/// are counted, as echo-host counts go-plugin's "plugin failed to exit gracefully".
final class HostLog: Sendable {
    /// The starts of the messages `PluginHost` logs when Shutdown did not end the plugin in time.
    static let escalationMessages = ["plugin did not exit after Shutdown", "plugin ignored SIGTERM"]

    private let counted = Mutex(0)
    private let printed: Logger.Level
    private let began = ContinuousClock.now

    init(printing printed: Logger.Level) { self.printed = printed }

    /// How many escalation lines were logged so far.
    var escalations: Int { self.counted.withLock { $0 } }

    /// A logger writing through this log (at info and above, or lower if printing lower).
    func logger() -> Logger {
        var logger = Logger(label: "plugin-bench") { _ in Handler(log: self) }
        logger.logLevel = min(.info, self.printed)
        return logger
    }

    fileprivate func record(_ event: LogEvent, metadata: Logger.Metadata) {
        let message = event.message.description
        if Self.escalationMessages.contains(where: { message.hasPrefix($0) }) {
            self.counted.withLock { $0 += 1 }
        }
        guard event.level >= self.printed else { return }
        let fields = metadata.merging(event.metadata ?? [:]) { $1 }.sorted { $0.key < $1.key }.map {
            "\($0.key)=\($0.value)"
        }
        let elapsed = (ContinuousClock.now - self.began).milliseconds
        let line = "plugin-bench: \(Int(elapsed)) ms [\(event.level)] \(message) \(fields.joined(separator: " "))\n"
        writeStandardError(line)
    }

    private struct Handler: LogHandler {
        let log: HostLog
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .info

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { self.metadata[key] }
            set { self.metadata[key] = newValue }
        }

        func log(event: LogEvent) { self.log.record(event, metadata: self.metadata) }
    }
}
