import ArgumentParser
import Foundation
import Logging
import NIOCore
import PlugboardConfig
import PlugboardCore
import PlugboardHost
import ServiceLifecycle
import UnixSignals

struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract:
            "Start and supervise every plugin (restarting any that crash, quarantining crash loops), print their status, serve until SIGINT or SIGTERM, then stop them gracefully."
    )

    @OptionGroup var options: PluginOptions
    @OptionGroup var observability: ObservabilityOptions

    @Option(
        help:
            "Seconds between status reports (calls/s, errors, p99, restarts per plugin), redrawn in place on a terminal; 0 for none. Default: 2 on a terminal, 10 otherwise."
    )
    var statusEvery: Double?

    func run() async throws {
        let logger = self.options.makeLogger()
        let metricsEndpoint = try await self.observability.start()
        defer { metricsEndpoint?.close(promise: nil) }
        let catalog: PluginCatalog
        let configured: [String: HostConfiguration.Plugin]
        do {
            let (loaded, plugins) = try await self.options.catalog()
            catalog = loaded
            configured = Dictionary(plugins.map { ($0.spec.name, $0) }) { first, _ in first }
        } catch {
            throw Console.fail(error)
        }
        let supervisors = catalog.entries.map {
            PluginSupervisor(spec: $0.spec, policy: configured[$0.spec.name]?.policy ?? .standard, logger: logger)
        }
        let group = ServiceGroup(
            configuration: .init(
                services: supervisors.map { .init(service: $0) }, gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger)
        )
        let board = StatusBoard(expected: catalog.entries.count)
        let failure = OnceValue<PluginError>()
        try await withThrowingDiscardingTaskGroup { tasks in
            for (entry, supervisor) in zip(catalog.entries, supervisors) {
                let events = supervisor.events
                tasks.addTask {
                    await Self.follow(
                        events, entry: entry, required: configured[entry.spec.name]?.required ?? true, board: board
                    ) { error in
                        failure.set(error)
                        await group.triggerGracefulShutdown()
                    }
                }
            }
            tasks.addTask {
                await board.allSettled()
                guard !Task.isCancelled else { return }  // stopped before every plugin settled
                Console.say(board.table)
                Console.say("serving; press Ctrl-C (SIGINT) or send SIGTERM to stop")
                let terminal = isatty(STDOUT_FILENO) == 1
                let every = self.statusEvery ?? (terminal ? 2 : 10)
                guard every > 0 else { return }
                await LiveStatus(
                    supervisors: supervisors, interval: .milliseconds(Int(every * 1000)), terminal: terminal
                ).run()
            }
            try await group.run()
            // Every supervisor has stopped its plugin; a plugin that never became ready never
            // settles the board, so nothing left here may keep the command from returning.
            tasks.cancelAll()
        }
        if let error = failure.value { throw Console.fail(error) }
        let leftRunning = catalog.entries.filter { $0.spec.reattach.map { !$0.killOnStop } ?? false }.map(\.spec.name)
        if leftRunning.isEmpty {
            print("stopped \(catalog.entries.count) plugins")
        } else {
            print(
                "stopped \(catalog.entries.count - leftRunning.count) plugins; left \(leftRunning.joined(separator: ", ")) running (attached to, not started)"
            )
        }
    }

    /// Prints a supervisor's restarts and quarantine; the first start (or failure) settles its row.
    private static func follow(
        _ events: AsyncStream<SupervisorEvent>,
        entry: PluginCatalog.Entry,
        required: Bool,
        board: StatusBoard,
        quarantinedRequired: @Sendable (PluginError) async -> Void
    ) async {
        var settled = false
        for await event in events {
            switch event {
            case .ready(let pid, let startedIn):
                if !settled {
                    board.ready(
                        StatusBoard.Row(
                            name: entry.spec.name, pid: pid, description: entry.description, readyIn: startedIn,
                            attached: entry.spec.reattach != nil))
                } else {
                    Console.say(
                        "\(entry.spec.name): restarted (pid \(pid), ready in \(startedIn.wholeMilliseconds) ms)")
                }
                settled = true
            case .quarantined(let error):
                if !settled { board.failed() }
                settled = true
                guard required else {
                    Console.warn("optional plugin \(entry.spec.name) is quarantined and stays down: \(error.message)")
                    continue
                }
                await quarantinedRequired(error)
            case .starting, .failed, .restarting, .stopping, .stopped:  // the supervisor logs these
                continue
            }
        }
    }
}
