import Foundation
import PlugboardCore
import PlugboardHost
import Yams

/// Turns the YAML text into plugin specs, refusing anything it does not understand.
struct ConfigurationParser {
    let file: String
    let text: String
    let directory: String

    private static let topLevelKeys = ["auto_mtls", "plugins"]
    private static let pluginKeys = [
        "path", "arguments", "environment", "required", "start_timeout", "sha256", "auto_mtls", "supervision",
        "reattach",
    ]
    private static let supervisionKeys = [
        "max_failures", "failure_window", "initial_backoff", "max_backoff", "health_interval", "health_timeout",
        "call_deadline",
    ]

    func parse() throws(PluginError) -> HostConfiguration {
        do {
            try AliasBudget.check(self.text)
        } catch {
            throw PluginError(
                code: .invalidConfiguration,
                message:
                    "\(self.file):\(error.line): the alias *\(error.alias) takes the document past \(AliasBudget.maximumNodes) nodes once its aliases are expanded; a configuration needs far fewer, so it is refused unread. Write the values out, or alias less deeply. Nothing was started."
            )
        }
        let root: Node
        do {
            guard let node = try Yams.compose(yaml: self.text) else {
                return HostConfiguration(plugins: [], warnings: [])
            }
            root = node
        } catch {
            throw self.error(nil, "is not valid YAML: \(error)")
        }
        let top = try self.mapping(root, what: "the file")
        try self.checkKeys(top, allowed: Self.topLevelKeys, in: "the file")
        let autoMTLS =
            try self.value(top, "auto_mtls").map { node throws(PluginError) in try self.bool(node, what: "`auto_mtls`")
            } ?? false
        guard let pluginsNode = self.value(top, "plugins") else { return HostConfiguration(plugins: [], warnings: []) }
        var plugins: [HostConfiguration.Plugin] = []
        var warnings: [String] = []
        for (key, value) in try self.mapping(pluginsNode, what: "`plugins`") {
            let name = try self.string(key, what: "a plugin name")
            let fields = try self.mapping(value, what: "plugin \"\(name)\"")
            try self.checkKeys(fields, allowed: Self.pluginKeys, in: "plugin \"\(name)\"")
            guard let pathNode = self.value(fields, "path") else {
                throw self.error(
                    value,
                    "plugin \"\(name)\" has no `path`; give the executable's path, relative to this file or absolute")
            }
            let rawPath = try self.string(pathNode, what: "`path`")
            let path =
                rawPath.hasPrefix("/")
                ? rawPath
                : URL(fileURLWithPath: self.directory).appendingPathComponent(rawPath).standardizedFileURL.path
            let required =
                try self.value(fields, "required").map { node throws(PluginError) in
                    try self.bool(node, what: "`required`")
                } ?? true
            var isDirectory: ObjCBool = false
            let exists = FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory)
            guard exists, !isDirectory.boolValue, FileManager.default.isExecutableFile(atPath: path) else {
                let problem =
                    "plugin \"\(name)\": "
                    + (isDirectory.boolValue
                        ? "\(path) is a directory, not an executable file" : "no executable file at \(path)")
                if required { throw self.error(pathNode, problem + "; build it (`make`) or fix `path`") }
                warnings.append("\(self.file):\(self.line(pathNode)): \(problem); the optional plugin is skipped")
                continue
            }
            var spec = PluginSpec(path: path, name: name)
            spec.autoMTLS =
                try self.value(fields, "auto_mtls").map { node throws(PluginError) in
                    try self.bool(node, what: "`auto_mtls`")
                } ?? autoMTLS
            if let node = self.value(fields, "arguments") {
                spec.arguments = try self.strings(node, what: "`arguments`")
            }
            if let node = self.value(fields, "environment") {
                spec.environment = try self.stringMap(node, what: "`environment`")
            }
            try self.checkExecSizes(spec, fields: fields, plugin: name)
            if let node = self.value(fields, "start_timeout") {
                spec.startTimeout = try self.seconds(node, key: "start_timeout")
            }
            if let node = self.value(fields, "sha256") {
                let hash = try self.string(node, what: "`sha256`").lowercased()
                guard hash.count == 64, hash.allSatisfy(\.isHexDigit) else {
                    throw self.error(
                        node, "`sha256` must be 64 hexadecimal digits (the output of `sha256sum`), not \"\(hash)\"")
                }
                spec.sha256 = hash
                do {
                    try Checksum.verify(spec, expected: hash)
                } catch {
                    let message = error.message.hasSuffix(".") ? String(error.message.dropLast()) : error.message
                    throw self.error(node, "plugin \"\(name)\": \(message)")
                }
            }
            let policy =
                try self.value(fields, "supervision").map { node throws(PluginError) in
                    try self.policy(node, plugin: name)
                } ?? .standard
            if let node = self.value(fields, "reattach") {
                spec.reattach = try self.reattach(node, plugin: name)
                if let autoMTLSNode = self.value(fields, "auto_mtls"), spec.autoMTLS {
                    throw self.error(
                        autoMTLSNode,
                        "plugin \"\(name)\": `auto_mtls: true` cannot be combined with `reattach`: a host that attaches starts nothing, so it cannot give the plugin a certificate"
                    )
                }
                spec.autoMTLS = false  // the file's default does not apply to a plugin started by hand
            }
            plugins.append(
                HostConfiguration.Plugin(spec: spec, required: required, policy: policy, line: self.line(key)))
        }
        return HostConfiguration(plugins: plugins, warnings: warnings)
    }

    /// A plugin's `supervision` mapping; keys left out keep their defaults.
    private func policy(_ node: Node, plugin name: String) throws(PluginError) -> SupervisionPolicy {
        let fields = try self.mapping(node, what: "`supervision` of plugin \"\(name)\"")
        try self.checkKeys(fields, allowed: Self.supervisionKeys, in: "`supervision` of plugin \"\(name)\"")
        var policy = SupervisionPolicy.standard
        for (key, value) in fields {
            let key = key.scalar?.string ?? ""
            switch key {
            case "max_failures": policy.maximumFailures = try self.positiveInteger(value, key: key)
            case "failure_window": policy.failureWindow = try self.seconds(value, key: key)
            case "initial_backoff": policy.initialBackoff = try self.seconds(value, key: key)
            case "max_backoff": policy.maximumBackoff = try self.seconds(value, key: key)
            case "health_interval": policy.healthInterval = try self.seconds(value, key: key)
            case "health_timeout": policy.healthTimeout = try self.seconds(value, key: key)
            default: policy.defaultDeadline = try self.seconds(value, key: key)  // call_deadline, the last key allowed
            }
        }
        guard policy.initialBackoff <= policy.maximumBackoff else {
            throw self.error(
                node,
                "`initial_backoff` (\(policy.initialBackoff)) is longer than `max_backoff` (\(policy.maximumBackoff))")
        }
        return policy
    }
}
