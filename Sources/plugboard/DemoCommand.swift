import ArgumentParser
import PlugboardConfig
import PlugboardCore
import PlugboardHost

struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract:
            "Load the ratelimit and stream plugins from the assets, run a burst of rate-limit checks, then a bidirectional sync stream."
    )

    @OptionGroup var options: PluginOptions

    @Option(help: "How many resource updates the stream demo sends.")
    var updates = 12

    func run() async throws {
        let logger = self.options.makeLogger()
        do {
            let (catalog, _) = try await self.options.catalog()
            guard let rateLimit = catalog.entry(serving: "ratelimit"), let stream = catalog.entry(serving: "stream")
            else {
                throw PluginError(
                    code: .noServiceSets,
                    message:
                        "The demo needs plugins serving the service sets \"ratelimit\" and \"stream\", but \(self.options.config ?? self.options.assets) has \(catalog.entries.map(\.spec.name)). Run `make` to build them into assets/."
                )
            }
            let started = ContinuousClock.now
            try await PluginHost.withPlugin(rateLimit.spec, logger: logger) { limiter in
                let limiterReady = ContinuousClock.now - started
                try await PluginHost.withPlugin(stream.spec, logger: logger) { sync in
                    let syncReady = ContinuousClock.now - started - limiterReady
                    print(
                        "Loaded \(limiter.name) \(rateLimit.description.version) (pid \(limiter.pid), ready in \(limiterReady.wholeMilliseconds) ms) and \(sync.name) \(stream.description.version) (pid \(sync.pid), ready in \(syncReady.wholeMilliseconds) ms), protocol v\(limiter.negotiatedVersion)."
                    )
                    try await RateLimitDemo(plugin: limiter).run()
                    try await StreamDemo(plugin: sync, updates: self.updates).run()
                }
            }
            let leftRunning = [rateLimit, stream].filter { $0.spec.reattach.map { !$0.killOnStop } ?? false }.map(
                \.spec.name)
            print(
                leftRunning.isEmpty
                    ? "\nDemo finished; both plugins stopped gracefully."
                    : "\nDemo finished; left \(leftRunning.joined(separator: " and ")) running (attached to, not started)."
            )
        } catch {
            throw Console.fail(error)
        }
    }
}
