#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

extension ReattachRecord {
    /// The keys a record may have in JSON.
    static let jsonKeys = ["pid", "address", "protocol", "version", "kill_on_stop", "handshake"]

    /// Reads a JSON object that maps plugin names to records, as ``environmentVariable`` holds it.
    /// A record gives `pid` and either `address`, `protocol` and `version`, or a go-plugin
    /// `handshake` line; `kill_on_stop` is optional.
    ///
    /// ```swift
    /// let records = try ReattachRecord.records(json: #"{"kv":{"pid":42,"handshake":"1|1|unix|/tmp/plugin1|grpc|"}}"#)
    /// ```
    ///
    /// - Parameters:
    ///   - json: the object's text.
    ///   - source: where the text came from, for messages (the variable's name, an option).
    /// - Throws: `PluginError` with code `invalidReattach` naming `source`, the plugin and the key,
    ///   or `netRPCRefused`/`unsupportedProtocol` for a protocol other than `grpc`.
    public static func records(json: String, source: String = Self.environmentVariable) throws(PluginError) -> [String:
        ReattachRecord]
    {
        let object: [String: JSONValue]
        do {
            object = try JSONDecoder().decode([String: JSONValue].self, from: Data(json.utf8))
        } catch {
            throw .invalidReattachJSON(json, source: source)
        }
        var records: [String: ReattachRecord] = [:]
        for (name, value) in object {
            do {
                records[name] = try Self.record(value)
            } catch {
                throw error.inReattachSource(source, name: name)
            }
        }
        return records
    }

    private static func record(_ value: JSONValue) throws(PluginError) -> ReattachRecord {
        guard case .object(let fields) = value else {
            throw .invalidReattach("is not a JSON object with pid, address, protocol and version")
        }
        if let unknown = fields.keys.sorted().first(where: { !Self.jsonKeys.contains($0) }) {
            throw .invalidReattach(
                "has the unknown key `\(unknown)`; expected \(Self.jsonKeys.map { "`\($0)`" }.joined(separator: ", "))")
        }
        let pid = try Self.integer(fields, "pid")
        let killOnStop: Bool
        switch fields["kill_on_stop"] {
        case nil: killOnStop = false
        case .bool(let value)?: killOnStop = value
        case _?: throw .invalidReattach("has a `kill_on_stop` that is not true or false")
        }
        guard pid > 0, pid <= Int(Int32.max) else {
            throw .invalidReattach("has the pid \(pid); a pid is a number above 0")
        }
        if let handshake = fields["handshake"] {
            guard fields["address"] == nil, fields["protocol"] == nil, fields["version"] == nil else {
                throw .invalidReattach(
                    "has both `handshake` and `address`, `protocol` or `version`; give one or the other")
            }
            guard case .string(let line) = handshake else {
                throw .invalidReattach("has a `handshake` that is not a string")
            }
            return try ReattachRecord(pid: Int32(pid), handshakeLine: line, killOnStop: killOnStop)
        }
        guard case .string(let address)? = fields["address"] else {
            throw .invalidReattach(
                fields["address"] == nil ? "has no `address`" : "has an `address` that is not a string")
        }
        guard case .string(let transportProtocol)? = fields["protocol"] else {
            throw .invalidReattach(
                fields["protocol"] == nil ? "has no `protocol`" : "has a `protocol` that is not a string")
        }
        let version = try Self.integer(fields, "version")
        guard version > 0, version <= Int(Int32.max) else {
            throw .invalidReattach("has the version \(version); app protocol versions are numbers above 0")
        }
        let record = ReattachRecord(
            pid: Int32(pid), socketPath: address, transportProtocol: transportProtocol, appProtocolVersion: version,
            killOnStop: killOnStop)
        try record.validate()
        return record
    }

    private static func integer(_ fields: [String: JSONValue], _ key: String) throws(PluginError) -> Int {
        guard let value = fields[key] else { throw .invalidReattach("has no `\(key)`") }
        guard case .number(let text) = value, let number = Int(text) else {
            throw .invalidReattach("has a `\(key)` that is not a whole number")
        }
        return number
    }

    /// A record for a go-plugin plugin started by hand: its handshake line (the first line it
    /// printed, `1|1|unix|/tmp/plugin123|grpc|`) and its pid, which the line does not carry.
    ///
    /// - Throws: `PluginError` with the handshake codes (`invalidHandshake`, `coreVersionMismatch`,
    ///   `unsupportedNetwork`, `socketPathInvalid`, …), `netRPCRefused` for a netrpc plugin, or
    ///   `invalidReattach` for a plugin that serves AutoMTLS (a reattaching host has no certificate).
    public init(pid: Int32, handshakeLine: String, killOnStop: Bool = false) throws(PluginError) {
        let problem = HandshakeProblem(line: Handshake.trimmed(handshakeLine))
        let fields = problem.line.split(separator: "|", omittingEmptySubsequences: false)
        guard fields.count >= 4, fields.count <= 7 else {
            throw problem.error(
                .invalidHandshake,
                expected: "a go-plugin handshake line CORE|APP|NETWORK|ADDRESS|PROTOCOL|CERT",
                came: "found \(fields.count) fields in",
                fix: "Copy the first line the plugin printed on stdout."
            )
        }
        try problem.checkCoreVersion(fields[0])
        guard let version = Int(fields[1]), version > 0 else {
            throw problem.error(
                .invalidHandshake, expected: "field 2 (app protocol version) to be a number above 0",
                came: "it is \(Quoting.quote(fields[1])) in", fix: "Copy the first line the plugin printed on stdout.")
        }
        try problem.checkNetwork(fields[2])
        try problem.checkSocketPath(fields[3])
        if fields.count > 5, fields[5].count > 50 {
            throw .invalidReattach(
                "comes from a plugin that serves AutoMTLS (its handshake carries a certificate), and a host that attaches has no certificate the plugin trusts; start the plugin without PLUGIN_CLIENT_CERT"
            )
        }
        self.init(
            pid: pid, socketPath: String(fields[3]), transportProtocol: fields.count > 4 ? String(fields[4]) : "netrpc",
            appProtocolVersion: version, killOnStop: killOnStop
        )
        try self.validate()
    }

    /// The line a plugin run with `--debug` prints, ready to paste before a host command:
    /// `PLUGBOARD_REATTACH='{"NAME":{"pid":…,"address":"…","protocol":"grpc","version":1}}'`.
    package func debugLine(name: String) -> String {
        var json = "{\(Self.jsonString(name)):{\"pid\":\(self.pid),\"address\":\(Self.jsonString(self.socketPath))"
        json += ",\"protocol\":\(Self.jsonString(self.transportProtocol)),\"version\":\(self.appProtocolVersion)}}"
        // Quoted for a POSIX shell.
        let quoted = json.split(separator: "'", omittingEmptySubsequences: false).joined(separator: "'\\''")
        return "\(Self.environmentVariable)='\(quoted)'"
    }

    private static func jsonString(_ text: String) -> String {
        var quoted = ""
        HCLogEncoder.appendString(text, to: &quoted)
        return quoted
    }
}
