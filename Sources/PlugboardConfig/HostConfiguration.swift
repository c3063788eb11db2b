import Foundation
public import PlugboardCore
public import PlugboardHost

/// The host's optional configuration file: which plugins to load and how.
///
/// ```yaml
/// auto_mtls: false                     # the default for every plugin below (default false)
/// plugins:
///   ratelimit:
///     path: assets/ratelimit-plugin    # relative to this file
///     arguments: ["--verbose"]
///     environment: { RATELIMIT_MAX_KEYS: "100000" }
///     required: true                   # default true; a missing optional plugin is a warning
///     start_timeout: 10                # seconds, default 60
///     sha256: 3b1f…                    # checked before every start
///     auto_mtls: true                  # go-plugin's AutoMTLS for this plugin (lean transport)
///     supervision:                     # all optional; seconds unless said otherwise
///       max_failures: 5                # failures within failure_window that quarantine it
///       failure_window: 60
///       initial_backoff: 0.1           # doubles per failure in the window
///       max_backoff: 10
///       health_interval: 5
///       health_timeout: 2
///       call_deadline: 30              # for calls that set none
///     reattach:                        # attach to the plugin started by hand with --debug
///       pid: 4242                      # instead of starting it (as PLUGBOARD_REATTACH does)
///       address: /tmp/plugboard-x1/plugin-4242.sock
///       protocol: grpc
///       version: 1
///       kill_on_stop: false            # default; true: stop it when the host is done
/// ```
///
/// Every duration has a range (start_timeout 0.01–3600 s, failure_window 0.1–86400,
/// initial_backoff and max_backoff 0.001–3600, health_interval 0.1–86400, health_timeout 0.01–600,
/// call_deadline 0.001–86400); a value outside it (`.inf`, `1e300`, `0.0000001`) is an error
/// naming the file and line, like every other mistake. So are a `path` that is a directory, a
/// `sha256` the file does not have (checked again before every start), an argument or environment
/// entry over 128 KiB or all of them over ARG_MAX (exec would fail with E2BIG), and a document
/// whose aliases expand to over 100,000 nodes (an alias bomb, refused before it is expanded), and
/// a `reattach` without pid, address, protocol or version, with a relative address, a protocol
/// other than grpc, or next to the plugin's own `auto_mtls: true`.
public struct HostConfiguration: Sendable {
    /// One configured plugin.
    public struct Plugin: Sendable {
        public var spec: PluginSpec
        public var required: Bool
        /// How `plugboard run` supervises it.
        public var policy: SupervisionPolicy
        /// Where the plugin's entry starts in the file, for messages (0 without a file).
        public var line: Int

        public init(spec: PluginSpec, required: Bool, policy: SupervisionPolicy = .standard, line: Int) {
            self.spec = spec
            self.required = required
            self.policy = policy
            self.line = line
        }
    }

    /// The plugins that can be started, in file order.
    public var plugins: [Plugin]
    /// Problems that do not stop the host, such as a missing optional plugin.
    public var warnings: [String]

    /// Reads and validates `path`; every problem names the file and line.
    ///
    /// - Throws: `PluginError` with code `invalidConfiguration` for an unreadable file, YAML
    ///   errors, alias bombs, unknown keys, wrong types, values out of range, missing required
    ///   binaries and checksum mismatches; nothing is started.
    public static func load(path: String) throws(PluginError) -> HostConfiguration {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw PluginError(
                code: .invalidConfiguration,
                message: "Cannot read the configuration file \(path). Check the path given to --config.")
        }
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        return try ConfigurationParser(file: path, text: String(decoding: data, as: UTF8.self), directory: directory)
            .parse()
    }
}
