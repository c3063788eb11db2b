import Logging
import PlugboardCore
import PlugboardObservability
import Synchronization

/// Re-logs the plugin's stderr on the host's logger, a line at a time, at the level the line asks
/// for (hclog JSON `@level`, or a `[LEVEL]` prefix), as go-plugin does; keeps the last lines for errors.
final class StderrForwarder: Sendable {
    private static let keptLines = 20
    private static let maximumLineLength = 64 * 1024
    private let tailLines = Mutex<[String]>([])
    private let logger: Logger

    init(logger: Logger) { self.logger = logger }

    /// The last lines the plugin wrote to stderr, oldest first.
    var tail: [String] { self.tailLines.withLock { $0 } }

    /// Consumes `stderr` until it closes. Bytes its drain dropped (`drops`) are counted in
    /// `metrics` and said in a warning, at most once a second.
    func run(_ stderr: AsyncStream<[UInt8]>, drops: PipeDrops, metrics: PluginMetrics) async {
        var parser = LogLineParser()
        var pending: [UInt8] = []
        var unreported = 0
        var lastWarning: ContinuousClock.Instant?
        for await chunk in stderr {
            let lost = drops.take()
            if lost > 0 {
                metrics.droppedStderr(bytes: lost)
                unreported += lost
                // The lost bytes came before this chunk: what was pending ends there.
                if !pending.isEmpty { self.emit(pending[...], parser: &parser) }
                pending = []
            }
            if unreported > 0, lastWarning.map({ .now - $0 >= .seconds(1) }) ?? true {
                self.warnDropped(unreported)
                unreported = 0
                lastWarning = .now
            }
            pending += chunk
            var start = 0
            while let newline = pending[start...].firstIndex(of: UInt8(ascii: "\n")) {
                self.emit(pending[start..<newline], parser: &parser)
                start = newline + 1
            }
            pending.removeFirst(start)
            while pending.count > Self.maximumLineLength {  // go-plugin splits long lines too
                self.emit(pending.prefix(Self.maximumLineLength), parser: &parser)
                pending.removeFirst(Self.maximumLineLength)
            }
        }
        if !pending.isEmpty { self.emit(pending[...], parser: &parser) }
        unreported += drops.take()
        if unreported > 0 { self.warnDropped(unreported) }
    }

    private func warnDropped(_ bytes: Int) {
        self.logger.warning(
            "dropped \(bytes) bytes of the plugin's stderr: it wrote more than 16 MiB ahead of the host's logger. Log less, or make the host's log handler faster",
            metadata: ["plugin.stderr_dropped_bytes": "\(bytes)"])
    }

    private func emit(_ bytes: ArraySlice<UInt8>, parser: inout LogLineParser) {
        let line = String(decoding: bytes, as: UTF8.self)
        guard !line.isEmpty else { return }
        self.tailLines.withLock { lines in
            lines.append(line)
            if lines.count > Self.keptLines { lines.removeFirst() }
        }
        parser.parse(line).log(to: self.logger)
    }
}
