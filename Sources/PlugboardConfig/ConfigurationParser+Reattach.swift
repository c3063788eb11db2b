import PlugboardCore
import PlugboardHost
import Yams

/// A plugin's `reattach` mapping: attach to the plugin already running (started by hand with
/// `--debug`) instead of starting it.
extension ConfigurationParser {
    static let reattachKeys = ["pid", "address", "protocol", "version", "kill_on_stop"]

    func reattach(_ node: Node, plugin name: String) throws(PluginError) -> ReattachRecord {
        let place = "`reattach` of plugin \"\(name)\""
        let fields = try self.mapping(node, what: place)
        try self.checkKeys(fields, allowed: Self.reattachKeys, in: place)
        for key in ["pid", "address", "protocol", "version"] where self.value(fields, key) == nil {
            throw self.error(
                node,
                "\(place) has no `\(key)`; give pid, address, protocol and version as the plugin printed them when started with --debug"
            )
        }
        let pidNode = self.value(fields, "pid")!
        let pid = try self.positiveInteger(pidNode, key: "pid")
        guard pid <= Int(Int32.max) else { throw self.error(pidNode, "`pid` \(pid) is not a process id") }
        let addressNode = self.value(fields, "address")!
        let address = try self.string(addressNode, what: "`address`")
        guard address.hasPrefix("/") else {
            throw self.error(
                addressNode, "`address` must be the absolute path of the plugin's unix socket, not \"\(address)\"")
        }
        let protocolNode = self.value(fields, "protocol")!
        let transportProtocol = try self.string(protocolNode, what: "`protocol`")
        guard transportProtocol == "grpc" else {
            throw self.error(
                protocolNode,
                "`protocol` must be grpc, not \"\(transportProtocol)\": Plugboard speaks gRPC only (go-plugin plugins that print netrpc cannot be loaded)"
            )
        }
        let version = try self.positiveInteger(self.value(fields, "version")!, key: "version")
        let killOnStop =
            try self.value(fields, "kill_on_stop").map { node throws(PluginError) in
                try self.bool(node, what: "`kill_on_stop`")
            } ?? false
        let record = ReattachRecord(
            pid: Int32(pid), socketPath: address, transportProtocol: transportProtocol, appProtocolVersion: version,
            killOnStop: killOnStop
        )
        do {
            try record.validate()
        } catch {
            throw self.error(
                node,
                "plugin \"\(name)\": \(error.message.hasSuffix(".") ? String(error.message.dropLast()) : error.message)"
            )
        }
        return record
    }
}
