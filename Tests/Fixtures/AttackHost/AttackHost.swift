// A host of its own for `HTTP2AttackTests`: starts one plugin, expects it to fail, and prints one
// JSON object with the error and how much this process's resident memory grew meanwhile. In the
// test process, suites running in parallel would count as growth.
//
// Usage: attack-host PLUGIN ARGUMENT [NAME=VALUE…]

import Foundation
import PlugboardHost
import PlugboardSystem

@main
enum AttackHost {
    static func main() async throws {
        let arguments = CommandLine.arguments
        guard arguments.count >= 3 else {
            FileHandle.standardError.write(Data("usage: attack-host PLUGIN ARGUMENT [NAME=VALUE…]\n".utf8))
            exit(2)
        }
        var spec = PluginSpec(path: arguments[1], arguments: [arguments[2]])
        for pair in arguments.dropFirst(3) {
            let parts = pair.split(separator: "=", maxSplits: 1).map(String.init)
            if parts.count == 2 { spec.environment[parts[0]] = parts[1] }
        }
        var logger = Logger(label: "attack-host")
        logger.logLevel = .critical
        let baseline = ProcessStatus(of: "self")?["VmRSS"] ?? 0
        let started = ContinuousClock.now
        var report: [String: Any] = ["name": spec.name]
        do {
            try await PluginHost.withPlugin(spec, logger: logger) { _ in }
            report["error"] = NSNull()
        } catch let error as PluginError {
            report["code"] = "\(error.code)"
            report["error"] = "\(error)"
            report["pluginName"] = error.pluginName ?? NSNull()
            report["pid"] = error.pid.map { Int($0) } ?? NSNull()
        }
        report["elapsedMs"] = (ContinuousClock.now - started) / .milliseconds(1)
        report["baselineKB"] = baseline
        report["growthKB"] = (ProcessStatus(of: "self")?["VmHWM"] ?? 0) - baseline  // the peak, however brief
        let json = try JSONSerialization.data(withJSONObject: report, options: [.sortedKeys])
        print(String(decoding: json, as: UTF8.self))
    }
}
