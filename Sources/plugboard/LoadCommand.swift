import ArgumentParser
import Foundation
import GRPCCore
import Logging
import NIOCore
import PlugboardCore
import PlugboardHost
import RateLimitServiceSet
import ServiceLifecycle

#if canImport(Glibc)
import Glibc
#endif

struct LoadCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "load",
        abstract:
            "Call the rate-limit plugin from many callers while killing it with SIGKILL every few seconds; count what happened to every call.",
        discussion: """
            Every call ends succeeded, failed with a typed error (the plugin died under it, or it \
            restarted too slowly for the call's deadline) or lost. Lost must be 0: the command exits 1 \
            otherwise, or when a call was answered by a restarted plugin whose rules were not re-applied. \
            Each instance gets the rules and a tier directory the host serves through its broker, \
            which the plugin calls back once per key; the brokered connections die with the instance.
            """
    )

    @Option(help: "The rate-limit plugin executable.")
    var plugin = "assets/ratelimit-plugin"

    @Option(help: "Concurrent callers, each making one call at a time.")
    var callers = 16

    @Option(help: "How long to run, in seconds (ignored with --kills).")
    var seconds = 20.0

    @Option(help: "Seconds between a restarted plugin being ready and the next SIGKILL; 0 never kills.")
    var killEvery = 2.0

    @Option(help: "Stop after this many kills instead of after --seconds.")
    var kills: Int?

    @Option(help: "The deadline of each call, in milliseconds.")
    var deadlineMs = 2000

    @Flag(help: "Print the result as one JSON object.")
    var json = false

    @Option(help: "The lowest level of log line to print: trace, debug, info, notice, warning, error.")
    var logLevel = "error"

    @OptionGroup var observability: ObservabilityOptions

    @Option(
        help:
            "Seconds between live status reports (calls/s, errors, p99, restarts), redrawn in place; only on a terminal and without --json. Default 1; 0 for none."
    )
    var statusEvery = 1.0

    func run() async throws {
        let metricsEndpoint = try await self.observability.start()
        defer { metricsEndpoint?.close(promise: nil) }
        var logger = Logger(label: "plugboard") { StreamLogHandler.standardError(label: $0) }
        logger.logLevel = Logger.Level(rawValue: self.logLevel) ?? .error
        let path =
            self.plugin.hasPrefix("/") ? self.plugin : FileManager.default.currentDirectoryPath + "/" + self.plugin
        let policy = SupervisionPolicy(
            initialBackoff: .milliseconds(20), maximumBackoff: .milliseconds(40),
            maximumFailures: .max, healthInterval: .seconds(1), defaultDeadline: .milliseconds(self.deadlineMs)
        )
        // Every instance calls the host back for its keys' tiers, through a directory served on
        // its own broker, which dies with it.
        let directory = PremiumTierDirectory()
        let supervisor = PluginSupervisor(spec: PluginSpec(path: path), policy: policy, logger: logger) { plugin in
            let directoryID = plugin.broker.nextID()
            try await plugin.broker.serve(id: directoryID, services: [directory])
            let applied = try await Ratelimit_V1_RateLimiter.Client(wrapping: plugin.client).applyRules(
                .with {
                    $0.ruleSet = Self.rules
                    $0.tierDirectory = directoryID
                })
            guard applied.applied else {
                throw ValidationError("the plugin refused the load's rule set: \(applied.rejections.map(\.reason))")
            }
        }
        let group = ServiceGroup(services: [supervisor], logger: logger)
        let tally = LoadTally()
        let run = try await withThrowingTaskGroup(of: LoadRun?.self) { tasks in
            tasks.addTask {
                try await group.run()
                return nil
            }
            tasks.addTask {
                defer { Task { await group.triggerGracefulShutdown() } }
                return try await self.drive(supervisor, directory: directory, tally: tally)
            }
            var run: LoadRun?
            for try await result in tasks where result != nil { run = result }
            return run
        }
        guard var run else { throw ValidationError("the load run did not finish") }
        run.tierLookups = directory.lookupsServed
        let report = LoadReport(options: self, run: run, counts: tally.snapshot)
        Console.say(self.json ? report.json : report.text)
        if report.counts.lostCount > 0 || report.counts.unprepared > 0 { throw ExitCode.failure }
    }

    /// Runs the callers and the killer; returns when the kills or the time are done.
    private func drive(_ supervisor: PluginSupervisor, directory: PremiumTierDirectory, tally: LoadTally)
        async throws -> LoadRun
    {
        let firstStart = ContinuousClock.now
        try await Self.waitUntilReady(supervisor, timeout: .seconds(60))
        let startedIn = ContinuousClock.now - firstStart
        let stop = OnceValue<Void>()
        let limiter = Ratelimit_V1_RateLimiter.Client(wrapping: supervisor.client)
        return try await withThrowingTaskGroup(of: LoadRun?.self) { tasks in
            for caller in 0..<self.callers {
                tasks.addTask {
                    // Every other caller's key is premium, the rest standard: both are looked up.
                    let premium = caller.isMultiple(of: 2)
                    let key = premium ? "\(PremiumTierDirectory.prefix)caller-\(caller)" : "caller-\(caller)"
                    let request = Ratelimit_V1_CheckRequest.with {
                        $0.resource = "load"; $0.key = key; $0.cost = 1
                    }
                    while stop.value == nil {
                        let started = ContinuousClock.now
                        do {
                            let response = try await limiter.check(request)
                            tally.succeeded(
                                after: .now - started, prepared: response.ruleSetVersion == Self.rules.version,
                                tiered: response.tier == (premium ? "premium" : "standard")
                            )
                        } catch {
                            tally.failed(error)
                        }
                    }
                    return nil
                }
            }
            tasks.addTask {
                defer { stop.set(()) }
                return try await self.kill(supervisor, directory: directory, startedIn: startedIn)
            }
            if !self.json, self.statusEvery > 0, isatty(STDOUT_FILENO) == 1 {
                tasks.addTask {
                    let status = LiveStatus(
                        supervisors: [supervisor], interval: .milliseconds(Int(self.statusEvery * 1000)),
                        terminal: true,
                        keepGoing: { stop.value == nil }
                    )
                    await status.run()
                    return nil
                }
            }
            var run: LoadRun?
            for try await result in tasks where result != nil { run = result }
            return run!
        }
    }

    /// Kills the plugin every `killEvery` seconds once it is ready, sampling the host's resources
    /// after the warm-up kills and at the end.
    private func kill(_ supervisor: PluginSupervisor, directory: PremiumTierDirectory, startedIn: Duration)
        async throws -> LoadRun
    {
        let began = ContinuousClock.now
        // Resources are compared from after the warm-up kills (the first tenth, at most 10), when
        // the allocator and the thread pool have reached their working size.
        let warmUp = self.kills.map { min(10, $0 / 10) } ?? 1
        var lookupsBeforeInstance = 0
        var run = LoadRun(
            startedIn: startedIn, start: try await Self.connectedSample(directory, lookupsBefore: lookupsBeforeInstance)
        )
        func done() -> Bool {
            if let kills = self.kills { return run.kills >= kills }
            return ContinuousClock.now - began >= .seconds(self.seconds)
        }
        while !done() {
            let interval: Duration = self.killEvery > 0 ? .seconds(self.killEvery) : .seconds(self.seconds)
            let remaining = self.kills == nil ? .seconds(self.seconds) - (ContinuousClock.now - began) : interval
            try await Task.sleep(for: min(interval, remaining))
            guard self.killEvery > 0, !done(), let pid = supervisor.current?.pid else { continue }
            Glibc.kill(pid, SIGKILL)
            run.kills += 1
            lookupsBeforeInstance = directory.lookupsServed
            try await Self.waitUntilReady(supervisor, after: pid, timeout: .seconds(30))
            if run.kills == warmUp {
                run.start = try await Self.connectedSample(directory, lookupsBefore: lookupsBeforeInstance)
            }
        }
        run.duration = ContinuousClock.now - began
        run.end = try await Self.connectedSample(directory, lookupsBefore: lookupsBeforeInstance)
        run.restarts = supervisor.restarts
        return run
    }

    /// A settled sample of the host's resources, taken once the plugin started after
    /// `lookupsBefore` lookups has looked a tier up (at most 2 s): that proves its brokered
    /// connection to the directory open, which a loaded machine may delay past the settling, and
    /// a sample without it would miss a socket.
    private static func connectedSample(_ directory: PremiumTierDirectory, lookupsBefore: Int) async throws
        -> ProcessResources
    {
        let deadline = ContinuousClock.now + .seconds(2)
        while directory.lookupsServed == lookupsBefore, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(5))
        }
        return try await ProcessResources.settledSample()
    }

    /// Waits until a plugin other than `previous` is ready.
    private static func waitUntilReady(_ supervisor: PluginSupervisor, after previous: Int32? = nil, timeout: Duration)
        async throws
    {
        let deadline = ContinuousClock.now + timeout
        while supervisor.current == nil || supervisor.current?.pid == previous {
            guard ContinuousClock.now < deadline else {
                throw ValidationError("the plugin was not ready within \(timeout) (state: \(supervisor.state))")
            }
            try await Task.sleep(for: .milliseconds(1))
        }
    }

    /// One rule the load never reaches, so every check is allowed and names rule set 1.
    static let rules = Ratelimit_V1_RuleSet.with {
        $0.version = 1
        $0.rules = [
            .with {
                $0.id = "load"; $0.resource = "load"; $0.key = "*"; $0.threshold = 1_000_000_000; $0.windowMs = 1000;
                $0.burst = 1_000_000_000; $0.strategy = .tokenBucket
            }
        ]
    }
}

/// The timeline of a load run.
struct LoadRun: Sendable {
    var startedIn: Duration
    var start: ProcessResources
    var end = ProcessResources(descriptorKinds: [], threads: 0, residentKilobytes: 0)
    var kills = 0
    var restarts = 0
    var duration: Duration = .zero
    /// Tier lookups the host's directory served, over every instance.
    var tierLookups = 0
}
