import PlugboardCore
import PlugboardHost
import Synchronization

/// Collects each plugin's start result, and says when all have settled.
final class StatusBoard: Sendable {
    struct Row: Sendable {
        var plugin: RunningPlugin
        var description: PluginDescription
        var readyIn: Duration
    }

    private let state: Mutex<(rows: [Row], settled: Int)>
    private let expected: Int
    private let done = OnceValue<Void>()

    init(expected: Int) {
        self.expected = expected
        self.state = Mutex(([], 0))
        if expected == 0 { self.done.set(()) }
    }

    func ready(_ row: Row) { self.settle { $0.rows.append(row) } }
    func failed() { self.settle { _ in } }

    func allSettled() async { _ = await self.done.wait() }

    var table: String {
        var table = TextTable(header: ["NAME", "VERSION", "SERVICE SETS", "PID", "SOCKET", "READY IN"])
        for row in self.state.withLock({ $0.rows }).sorted(by: { $0.plugin.name < $1.plugin.name }) {
            table.rows.append([
                row.plugin.name, row.description.version,
                row.description.serviceSets.map { "\($0.name)@\($0.version)" }.joined(separator: ", "),
                "\(row.plugin.pid)", row.plugin.socketPath, "\(row.readyIn.milliseconds) ms",
            ])
        }
        return table.rendered
    }

    private func settle(_ update: (inout (rows: [Row], settled: Int)) -> Void) {
        let all = self.state.withLock { state in
            update(&state)
            state.settled += 1
            return state.settled == self.expected
        }
        if all { self.done.set(()) }
    }
}

extension Duration {
    /// Whole milliseconds, for people.
    var milliseconds: Int64 { self.components.seconds * 1000 + self.components.attoseconds / 1_000_000_000_000_000 }
}
