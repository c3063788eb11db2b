import PlugboardCore
import PlugboardHost
import Synchronization

/// Collects each plugin's start result, and says when all have settled.
final class StatusBoard: Sendable {
    struct Row: Sendable {
        var name: String
        var pid: Int32
        var description: PluginDescription
        var readyIn: Duration
        /// Attached to (started by hand), not started by this host.
        var attached = false
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
        var table = TextTable(header: ["NAME", "VERSION", "SERVICE SETS", "PID", "READY IN"])
        for row in self.state.withLock({ $0.rows }).sorted(by: { $0.name < $1.name }) {
            table.rows.append([
                row.name, row.description.version,
                row.description.serviceSets.map { "\($0.name)@\($0.version)" }.joined(separator: ", "),
                row.attached ? "\(row.pid) (attached)" : "\(row.pid)", "\(row.readyIn.wholeMilliseconds) ms",
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
