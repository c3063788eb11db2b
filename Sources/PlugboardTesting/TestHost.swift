import InMemoryLogging
public import Logging
public import PlugboardHost

/// Starts a plugin executable under a host, as `plugboard run` would, runs `body` with it and with
/// everything the host logged about it (the plugin's own stderr lines, re-logged at their levels,
/// included), then stops it gracefully. The process is always reaped.
///
/// ```swift
/// @Test func startsAndAnswers() async throws {
///     try await withTestHost(plugin: PluginSpec(path: pluginPath)) { plugin, logs in
///         let inventory = Inventory_V1_Inventory.Client(wrapping: plugin.client)
///         #expect(try await inventory.count(.with { $0.sku = "apple" }).left == 3)
///         #expect(logs.messages.contains { $0.contains("counted") })
///     }
/// }
/// ```
///
/// - Parameters:
///   - spec: the executable and how to start it.
///   - logLevel: the lowest level captured.
///   - isolation: the actor `body` runs on; the caller's by default.
///   - body: the test, given the running plugin and its logs so far.
/// - Throws: `PluginError` when the plugin cannot be started, as `PluginHost.withPlugin`
///   throws; otherwise what `body` throws.
public func withTestHost<Result: Sendable>(
    plugin spec: PluginSpec,
    logLevel: Logger.Level = .trace,
    isolation: isolated (any Actor)? = #isolation,
    _ body: (RunningPlugin, CapturedLogs) async throws -> Result
) async throws -> Result {
    var handler = InMemoryLogHandler()
    handler.logLevel = logLevel
    let logs = CapturedLogs(handler: handler)
    let logger = Logger(label: "plugboard.test-host") { _ in handler }
    return try await PluginHost.withPlugin(spec, logger: logger, isolation: isolation) { plugin in
        try await body(plugin, logs)
    }
}

/// What a test host logged: its own lines and the plugin's stderr, in order.
public struct CapturedLogs: Sendable {
    /// One log line.
    public struct Entry: Sendable, Hashable {
        public var level: Logger.Level
        public var message: String
        /// Metadata as text, such as `plugin.name` and `plugin.pid`.
        public var metadata: [String: String]
    }

    let handler: InMemoryLogHandler

    /// Every line so far.
    public var entries: [Entry] {
        self.handler.entries.map { entry in
            Entry(
                level: entry.level,
                message: entry.message.description,
                metadata: entry.metadata.mapValues { $0.description }
            )
        }
    }

    /// The messages of every line so far.
    public var messages: [String] { self.entries.map(\.message) }
}
