import ArgumentParser
import Foundation
import PlugboardConfig
import PlugboardCore
import PlugboardHost
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Start every plugin in parallel, print their status, serve until SIGINT or SIGTERM, then stop them gracefully."
    )

    @OptionGroup var options: PluginOptions

    func run() async throws {
        let logger = self.options.makeLogger()
        let catalog: PluginCatalog
        let plugins: [String: Bool]
        do {
            let (loaded, configured) = try await self.options.catalog()
            catalog = loaded
            plugins = Dictionary(configured.map { ($0.spec.name, $0.required) }) { first, _ in first }
        } catch {
            throw Console.fail(error)
        }
        let stop = OnceValue<Void>()
        let board = StatusBoard(expected: catalog.entries.count)
        let signals = StopOnSignals(stop)
        var failure: (any Error)?
        await withTaskGroup(of: (any Error)?.self) { group in
            for entry in catalog.entries {
                group.addTask {
                    let started = ContinuousClock.now
                    do {
                        try await PluginHost.withPlugin(entry.spec, logger: logger) { plugin in
                            board.ready(StatusBoard.Row(plugin: plugin, description: entry.description, readyIn: ContinuousClock.now - started))
                            _ = await stop.wait()
                        }
                        return nil
                    } catch {
                        board.failed()
                        guard plugins[entry.spec.name] ?? true else {
                            Console.warn("optional plugin \(entry.spec.name) did not start: \(error)")
                            return nil
                        }
                        stop.set(())
                        return error
                    }
                }
            }
            group.addTask {
                await board.allSettled()
                print(board.table)
                print("serving; press Ctrl-C (SIGINT) or send SIGTERM to stop")
                return nil
            }
            for await result in group where failure == nil { failure = result }
        }
        withExtendedLifetime(signals) {}
        if let failure { throw Console.fail(failure) }
        print("stopped \(catalog.entries.count) plugins")
    }
}

/// Sets `stop` on SIGINT or SIGTERM (both then ignored, so a second Ctrl-C cannot cut the stop short).
final class StopOnSignals {
    private let sources: [any DispatchSourceSignal]

    init(_ stop: OnceValue<Void>) {
        self.sources = [SIGINT, SIGTERM].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { stop.set(()) }
            source.resume()
            return source
        }
    }
}
