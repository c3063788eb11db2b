import Logging
import PlugboardCore
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

    /// Consumes `stderr` until it closes.
    func run(_ stderr: AsyncStream<[UInt8]>) async {
        var parser = LogLineParser()
        var pending: [UInt8] = []
        for await chunk in stderr {
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
