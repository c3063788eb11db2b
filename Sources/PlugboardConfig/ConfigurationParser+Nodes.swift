import PlugboardCore
import Yams

/// Typed reads of YAML nodes, each failing with the file and line of the node.
extension ConfigurationParser {
    func line(_ node: Node?) -> Int { node?.mark?.line ?? 1 }

    func error(_ node: Node?, _ problem: String) -> PluginError {
        PluginError(code: .invalidConfiguration, message: "\(self.file):\(self.line(node)): \(problem). Nothing was started.")
    }

    func mapping(_ node: Node, what: String) throws(PluginError) -> [(Node, Node)] {
        guard case .mapping(let mapping) = node else { throw self.error(node, "\(what) must be a mapping of keys to values") }
        return mapping.map { ($0.key, $0.value) }
    }

    func value(_ mapping: [(Node, Node)], _ key: String) -> Node? {
        mapping.first { $0.0.scalar?.string == key }?.1
    }

    func checkKeys(_ mapping: [(Node, Node)], allowed: [String], in place: String) throws(PluginError) {
        for (key, _) in mapping {
            let name = key.scalar?.string ?? "?"
            guard allowed.contains(name) else {
                let suggestion = allowed.min { Self.distance($0, name) < Self.distance($1, name) }.map { " (did you mean `\($0)`?)" } ?? ""
                throw self.error(key, "unknown key `\(name)` in \(place)\(suggestion); expected one of \(allowed.map { "`\($0)`" }.joined(separator: ", "))")
            }
        }
    }

    func string(_ node: Node, what: String) throws(PluginError) -> String {
        guard case .scalar(let scalar) = node else { throw self.error(node, "\(what) must be a string") }
        return scalar.string
    }

    func bool(_ node: Node, what: String) throws(PluginError) -> Bool {
        guard let value = node.bool else { throw self.error(node, "\(what) must be true or false, not \"\(node.scalar?.string ?? "a collection")\"") }
        return value
    }

    /// The durations a person can mean, in seconds, per key: outside them a value is a typo (or an
    /// attack) that would trap (`.inf`, `1e300`) or make the host misbehave (a health check every
    /// 100 ns quarantines a healthy plugin).
    static let secondsRanges: [String: ClosedRange<Double>] = [
        "start_timeout": 0.01...3600,
        "failure_window": 0.1...86_400,
        "initial_backoff": 0.001...3600,
        "max_backoff": 0.001...3600,
        "health_interval": 0.1...86_400,
        "health_timeout": 0.01...600,
        "call_deadline": 0.001...86_400,
    ]

    func seconds(_ node: Node, key: String) throws(PluginError) -> Duration {
        let range = Self.secondsRanges[key] ?? 0.001...86_400
        let given = node.scalar?.string ?? "a collection"
        guard let value = node.float ?? node.int.map(Double.init), value > 0 else {
            throw self.error(node, "`\(key)` must be a positive number of seconds (\(Self.format(range))), not \"\(given)\"")
        }
        guard range.contains(value) else {  // false for NaN and infinities too
            throw self.error(node, "`\(key)` must be a positive number of seconds from \(Self.format(range)), not \"\(given)\"")
        }
        return .milliseconds(Int64((value * 1000).rounded()))
    }

    private static func format(_ range: ClosedRange<Double>) -> String {
        func number(_ value: Double) -> String { value == value.rounded() ? String(Int(value)) : String(value) }
        return "\(number(range.lowerBound)) to \(number(range.upperBound))"
    }

    func positiveInteger(_ node: Node, key: String) throws(PluginError) -> Int {
        guard let value = node.int, value > 0 else {
            throw self.error(node, "`\(key)` must be a whole number above 0, not \"\(node.scalar?.string ?? "a collection")\"")
        }
        return value
    }

    func strings(_ node: Node, what: String) throws(PluginError) -> [String] {
        guard case .sequence(let sequence) = node else { throw self.error(node, "\(what) must be a list of strings") }
        var result: [String] = []
        for item in sequence { result.append(try self.string(item, what: "each item of \(what)")) }
        return result
    }

    func stringMap(_ node: Node, what: String) throws(PluginError) -> [String: String] {
        var result: [String: String] = [:]
        for (key, value) in try self.mapping(node, what: what) {
            result[try self.string(key, what: "a key of \(what)")] = try self.string(value, what: "each value of \(what)")
        }
        return result
    }

    /// Edit distance, to suggest the key that was meant.
    private static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        var row = Array(0...b.count)
        for i in 1...max(a.count, 1) where !a.isEmpty {
            var previous = row[0]
            row[0] = i
            for j in 1...max(b.count, 1) where !b.isEmpty {
                let current = row[j]
                row[j] = min(row[j] + 1, row[j - 1] + 1, previous + (a[i - 1] == b[j - 1] ? 0 : 1))
                previous = current
            }
        }
        return row[b.count]
    }
}
