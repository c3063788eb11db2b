package import Logging  // HCLogHandler is a LogHandler
import Synchronization

/// A swift-log handler that writes hclog JSON lines, the format go-plugin hosts parse from plugin stderr.
///
/// Each log call becomes one line such as
/// `{"@level":"info","@message":"serving","@module":"kv","@timestamp":"2026-11-21T22:26:07.152518Z","n":"1"}`
/// plus `"\n"`, handed whole to the sink. Calls from many threads never interleave: the sink runs under a
/// lock shared by every copy of the handler. The plugin SDK passes a sink that writes to stderr.
///
/// ```swift
/// LoggingSystem.bootstrap { label in HCLogHandler(label: label) { line in writeToStderr(line) } }
/// ```
///
/// swift-log's `notice` is written as `info` and `critical` as `error`, since hclog has no such levels.
/// Metadata keys that collide with `@level`, `@message`, `@module` or `@timestamp` are dropped.
package struct HCLogHandler: LogHandler {
    /// The handler's own metadata, merged under the provider's and the call's.
    package var metadata: Logger.Metadata = [:]
    /// The least severe level written.
    package var logLevel: Logger.Level
    /// Supplies contextual metadata at each call.
    package var metadataProvider: Logger.MetadataProvider?
    /// Written as `@module`; the logger's label.
    package let module: String

    private let writer: LineWriter
    private let clock: @Sendable () -> HCLogTimestamp

    /// Creates a handler.
    ///
    /// - Parameters:
    ///   - label: The logger label, written as `@module`.
    ///   - logLevel: The least severe level written. The default is `.trace`, like a Go plugin's hclog
    ///     logger: the host decides what to show.
    ///   - metadataProvider: Contextual metadata added to every line.
    ///   - clock: The time source for `@timestamp`; tests pass a fixed one.
    ///   - sink: Receives each complete line, ending in `"\n"`. Called under a lock, so it must not log.
    package init(
        label: String,
        logLevel: Logger.Level = .trace,
        metadataProvider: Logger.MetadataProvider? = nil,
        clock: @escaping @Sendable () -> HCLogTimestamp = HCLogTimestamp.now,
        sink: @escaping @Sendable (String) -> Void
    ) {
        self.module = label
        self.logLevel = logLevel
        self.metadataProvider = metadataProvider
        self.clock = clock
        self.writer = LineWriter(sink: sink)
    }

    package subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { self.metadata[key] }
        set { self.metadata[key] = newValue }
    }

    package func log(event: LogEvent) {
        var metadata = self.metadata
        if let provided = self.metadataProvider?.get() {
            metadata.merge(provided) { _, new in new }
        }
        if let explicit = event.metadata {
            metadata.merge(explicit) { _, new in new }
        }
        if let error = event.error, metadata["error"] == nil {
            metadata["error"] = .string(String(describing: error))
        }
        let line = HCLogEncoder.line(
            level: event.level,
            message: event.message.description,
            module: self.module,
            timestamp: self.clock(),
            metadata: metadata
        )
        self.writer.write(line)
    }
}

/// Serializes calls to a sink, shared by all copies of one handler.
private final class LineWriter: Sendable {
    private let lock = Mutex<Void>(())
    private let sink: @Sendable (String) -> Void

    init(sink: @escaping @Sendable (String) -> Void) { self.sink = sink }

    func write(_ line: String) {
        self.lock.withLock { _ in self.sink(line) }
    }
}
