import Foundation
import PlugboardConfig
import PlugboardCore
import PlugboardHost

/// Plugins to attach to instead of starting: the records in `PLUGBOARD_REATTACH` and in
/// `--reattach` (which wins for a name in both), each applied to the plugin it names.
enum Reattachments {
    static func records(option: String?, environment: [String: String] = ProcessInfo.processInfo.environment)
        throws(PluginError) -> [String: ReattachRecord]
    {
        var records: [String: ReattachRecord] = [:]
        if let text = environment[ReattachRecord.environmentVariable], !text.isEmpty {
            records = try ReattachRecord.records(json: text, source: ReattachRecord.environmentVariable)
        }
        if let option {
            records.merge(try ReattachRecord.records(json: option, source: "--reattach")) { $1 }
        }
        return records
    }

    /// Sets each record on the plugin of that name, or else on the one whose executable has that
    /// file name (what a plugin run with `--debug` calls itself). A record that names no plugin
    /// is an error: the host would otherwise start the plugin the user meant to debug.
    static func apply(_ records: [String: ReattachRecord], to plugins: inout [HostConfiguration.Plugin])
        throws(PluginError)
    {
        for (name, record) in records.sorted(by: { $0.key < $1.key }) {
            let index =
                plugins.firstIndex { $0.spec.name == name }
                ?? plugins.firstIndex { URL(fileURLWithPath: $0.spec.path).lastPathComponent == name }
            guard let index else {
                throw PluginError(
                    code: .invalidReattach,
                    message:
                        "The reattach record for \(name.debugDescription) names no plugin of this host (it has \(plugins.map { $0.spec.name.debugDescription }.joined(separator: ", "))). Key the record by the plugin's name: its key in the configuration, or its file name in the assets folder."
                )
            }
            if plugins[index].spec.autoMTLS {
                Console.warn(
                    "AutoMTLS is off for \(plugins[index].spec.name): the host attaches to it instead of starting it, so it cannot give it a certificate"
                )
            }
            plugins[index].spec.reattach = record
            plugins[index].spec.autoMTLS = false
        }
    }
}
