import PlugboardCore
import PlugboardObservability

/// Reads the plugin's stdout: the first line is the handshake; everything after it is read and
/// dropped, so a chatty plugin never blocks on a full pipe.
final class StdoutReader: Sendable {
    /// go-plugin's scanner limit for the handshake line.
    static let maximumLineLength = 64 * 1024

    private let firstLine = OnceValue<Result<String, PluginError>>()
    private let metrics: PluginMetrics

    init(metrics: PluginMetrics) { self.metrics = metrics }

    /// Consumes `stdout` until it closes; call in a task that lives as long as the plugin.
    func run(_ stdout: AsyncStream<[UInt8]>, drops: PipeDrops) async {
        var buffer: [UInt8] = []
        var delivered = false
        for await chunk in stdout {
            let lost = drops.take()
            if lost > 0 { self.metrics.droppedStdout(bytes: lost) }
            guard !delivered else {
                self.metrics.droppedStdout(bytes: chunk.count)
                continue
            }
            buffer += chunk
            if let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                self.deliver(.success(String(decoding: buffer[..<newline], as: UTF8.self)))
                delivered = true
                self.metrics.droppedStdout(bytes: buffer.count - newline - 1)
                buffer = []
            } else if buffer.count > Self.maximumLineLength {
                self.deliver(.failure(.handshakeTooLong(limit: Self.maximumLineLength)))
                delivered = true
                buffer = []
            }
        }
        if !delivered {
            // stdout closed without a newline: a final partial line still counts as what came.
            self.deliver(
                buffer.isEmpty
                    ? .failure(PluginError(code: .exitedBeforeHandshake, message: "stdout closed"))
                    : .success(String(decoding: buffer, as: UTF8.self)))
        }
    }

    /// The first line, once it arrives (or the reason none will); `nil` if the task is cancelled.
    func handshakeLine() async -> Result<String, PluginError>? { await self.firstLine.wait() }

    private func deliver(_ line: Result<String, PluginError>) { self.firstLine.set(line) }
}
