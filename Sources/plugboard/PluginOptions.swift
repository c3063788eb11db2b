import ArgumentParser
import Foundation
import Logging
import PlugboardConfig
import PlugboardCore
import PlugboardHost

/// Where the plugins come from: a configuration file, or every executable in the assets folder.
struct PluginOptions: ParsableArguments {
    @Option(help: "The folder of plugin executables that `make` builds.")
    var assets = "assets"

    @Option(help: "A YAML file naming the plugins to load (path, arguments, environment, required, start_timeout, sha256, auto_mtls).")
    var config: String?

    @Flag(help: "Talk to every plugin over go-plugin's AutoMTLS (one-time certificates, each side trusting only the other's).")
    var autoMTLS = false

    @Option(help: ArgumentHelp("Attach to plugins already running instead of starting them: a JSON object of plugin names to records, as a plugin run with --debug prints it. Also read from PLUGBOARD_REATTACH; this option wins.", valueName: "json"))
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
            plugins = try PluginCatalog.executables(in: self.assets).map { HostConfiguration.Plugin(spec: $0, required: true, line: 0) }
        }
        if self.autoMTLS {
            for index in plugins.indices where plugins[index].spec.reattach == nil { plugins[index].spec.autoMTLS = true }
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
        var logger = Logger(label: "plugboard") { label in StreamLogHandler.standardError(label: label) }
        logger.logLevel = Logger.Level(rawValue: self.logLevel) ?? .info
        return logger
    }
}

/// Output for people: results on stdout, problems on stderr.
enum Console {
    /// A line on stdout, written at once (stdout may be a pipe, where `print` buffers).
    static func say(_ line: String) { FileHandle.standardOutput.write(Data("\(line)\n".utf8)) }
    static func warn(_ message: String) { FileHandle.standardError.write(Data("warning: \(message)\n".utf8)) }
    static func fail(_ error: any Error) -> ExitCode {
        FileHandle.standardError.write(Data("error: \(error)\n".utf8))
        return ExitCode.failure
    }
}
