import ArgumentParser
import Foundation
import Logging
import PlugboardConfig
import PlugboardCore
import PlugboardHost
import Synchronization

/// Where the plugins come from: a configuration file, or every executable in the assets folder.
struct PluginOptions: ParsableArguments {
    @Option(help: "The folder of plugin executables that `make` builds.")
    var assets = "assets"

    @Option(
        help:
            "A YAML file naming the plugins to load (path, arguments, environment, required, start_timeout, sha256, auto_mtls)."
    )
    var config: String?

    @Flag(
        help:
            "Talk to every plugin over go-plugin's AutoMTLS (one-time certificates, each side trusting only the other's)."
    )
    var autoMTLS = false

    @Option(
        help: ArgumentHelp(
            "Attach to plugins already running instead of starting them: a JSON object of plugin names to records, as a plugin run with --debug prints it. Also read from PLUGBOARD_REATTACH; this option wins.",
            valueName: "json"))
    var reattach: String?

    @Option(help: "The lowest level of log line to print: trace, debug, info, notice, warning, error.")
    var logLevel = "info"

    /// The configured plugins (required flag included), with warnings printed; nothing is started.
    func plugins() throws(PluginError) -> [HostConfiguration.Plugin] {
        var plugins: [HostConfiguration.Plugin]
        if let config {
            let configuration = try HostConfiguration.load(path: config)
            configuration.warnings.forEach { Console.warn($0) }
            plugins = configuration.plugins
        } else {
            plugins = try PluginCatalog.executables(in: self.assets).map {
                HostConfiguration.Plugin(spec: $0, required: true, line: 0)
            }
        }
        if self.autoMTLS {
            for index in plugins.indices where plugins[index].spec.reattach == nil {
                plugins[index].spec.autoMTLS = true
            }
        }
        try Reattachments.apply(Reattachments.records(option: self.reattach), to: &plugins)
        return plugins
    }

    /// Describes and validates the configured plugins.
    func catalog() async throws(PluginError) -> (PluginCatalog, [HostConfiguration.Plugin]) {
        let plugins = try self.plugins()
        return (try await PluginCatalog.load(plugins.map(\.spec)), plugins)
    }

    func makeLogger() -> Logger {
        var logger = Logger(label: "plugboard") { label in
            ConsoleLogHandler(base: StreamLogHandler.standardError(label: label))
        }
        logger.logLevel = Logger.Level(rawValue: self.logLevel) ?? .info
        return logger
    }
}

/// Output for people: results on stdout, problems on stderr. On a terminal, the live status
/// table is redrawn in place only while nothing else has been written below it.
enum Console {
    /// Lines of the live table directly above the cursor; 0 once anything else was written.
    private static let redrawable = Mutex(0)

    /// A line on stdout, written at once (stdout may be a pipe, where `print` buffers).
    static func say(_ line: String) { self.write(FileHandle.standardOutput, "\(line)\n") }
    static func warn(_ message: String) { self.write(FileHandle.standardError, "warning: \(message)\n") }
    /// A line on stderr that is not a problem (where something is served, say).
    static func note(_ line: String) { self.write(FileHandle.standardError, "\(line)\n") }
    static func fail(_ error: any Error) -> ExitCode {
        self.write(FileHandle.standardError, "error: \(error)\n")
        return ExitCode.failure
    }

    /// Writes `table` over the one written last, when nothing came after it.
    static func redraw(_ table: String) {
        let lines = table.split(separator: "\n", omittingEmptySubsequences: false).count
        self.redrawable.withLock { above in
            let erase = above > 0 ? "\u{1B}[\(above)A\u{1B}[J" : ""
            FileHandle.standardOutput.write(Data("\(erase)\(table)\n".utf8))
            above = lines
        }
    }

    /// Marks the screen as written below the table (log lines go through here too).
    static func wroteElsewhere() { self.redrawable.withLock { $0 = 0 } }

    private static func write(_ handle: FileHandle, _ text: String) {
        self.redrawable.withLock { above in
            handle.write(Data(text.utf8))
            above = 0
        }
    }
}

/// swift-log's stderr handler, telling `Console` that a line was written below the live table.
struct ConsoleLogHandler: LogHandler {
    var base: StreamLogHandler

    var logLevel: Logger.Level {
        get { self.base.logLevel }
        set { self.base.logLevel = newValue }
    }

    var metadata: Logger.Metadata {
        get { self.base.metadata }
        set { self.base.metadata = newValue }
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { self.base[metadataKey: key] }
        set { self.base[metadataKey: key] = newValue }
    }

    func log(event: LogEvent) {
        Console.wroteElsewhere()
        self.base.log(event: event)
    }
}
