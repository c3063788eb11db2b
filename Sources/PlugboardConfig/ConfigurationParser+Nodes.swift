import Foundation
import PlugboardCore
import PlugboardHost
import Yams

#if canImport(Glibc)
import Glibc
#endif

/// Typed reads of YAML nodes, each failing with the file and line of the node.
extension ConfigurationParser {
    func line(_ node: Node?) -> Int { node?.mark?.line ?? 1 }

    func error(_ node: Node?, _ problem: String) -> PluginError {
        PluginError(
            code: .invalidConfiguration, message: "\(self.file):\(self.line(node)): \(problem). Nothing was started.")
    }

    func mapping(_ node: Node, what: String) throws(PluginError) -> [(Node, Node)] {
        guard case .mapping(let mapping) = node else {
            throw self.error(node, "\(what) must be a mapping of keys to values")
        }
        return mapping.map { ($0.key, $0.value) }
    }

    func value(_ mapping: [(Node, Node)], _ key: String) -> Node? {
        mapping.first { $0.0.scalar?.string == key }?.1
    }

    func checkKeys(_ mapping: [(Node, Node)], allowed: [String], in place: String) throws(PluginError) {
        for (key, _) in mapping {
            let name = key.scalar?.string ?? "?"
            guard allowed.contains(name) else {
                let suggestion =
                    allowed.min { Self.distance($0, name) < Self.distance($1, name) }.map { " (did you mean `\($0)`?)" }
                    ?? ""
                throw self.error(
                    key,
                    "unknown key `\(name)` in \(place)\(suggestion); expected one of \(allowed.map { "`\($0)`" }.joined(separator: ", "))"
                )
            }
        }
    }

    func string(_ node: Node, what: String) throws(PluginError) -> String {
        guard case .scalar(let scalar) = node else { throw self.error(node, "\(what) must be a string") }
        return scalar.string
    }

    func bool(_ node: Node, what: String) throws(PluginError) -> Bool {
        guard let value = node.bool else {
            throw self.error(node, "\(what) must be true or false, not \"\(node.scalar?.string ?? "a collection")\"")
        }
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
            throw self.error(
                node, "`\(key)` must be a positive number of seconds (\(Self.format(range))), not \"\(given)\"")
        }
        guard range.contains(value) else {  // false for NaN and infinities too
            throw self.error(
                node, "`\(key)` must be a positive number of seconds from \(Self.format(range)), not \"\(given)\"")
        }
        return .milliseconds(Int64((value * 1000).rounded()))
    }

    private static func format(_ range: ClosedRange<Double>) -> String {
        func number(_ value: Double) -> String { value == value.rounded() ? String(Int(value)) : String(value) }
        return "\(number(range.lowerBound)) to \(number(range.upperBound))"
    }

    func positiveInteger(_ node: Node, key: String) throws(PluginError) -> Int {
        guard let value = node.int, value > 0 else {
            throw self.error(
                node, "`\(key)` must be a whole number above 0, not \"\(node.scalar?.string ?? "a collection")\"")
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
            result[try self.string(key, what: "a key of \(what)")] = try self.string(
                value, what: "each value of \(what)")
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

/// What `run` would fail at: the kernel refuses to exec a program (E2BIG) when one argument or
/// environment entry is over MAX_ARG_STRLEN, or all of them together over ARG_MAX.
extension ConfigurationParser {
    /// Linux's MAX_ARG_STRLEN: 32 pages of 4 KiB, the string's NUL included.
    static let maximumExecString = 128 * 1024

    /// The kernel's total for arguments and environment (a quarter of the stack limit, 2 MiB at
    /// the usual 8 MiB), less 16 KiB for what the host adds (handshake variables, socket directory).
    static var maximumExecTotal: Int {
        let limit = sysconf(Int32(_SC_ARG_MAX))
        return (limit > 0 ? limit : 2 * 1024 * 1024) - 16 * 1024
    }

    func checkExecSizes(_ spec: PluginSpec, fields: [(Node, Node)], plugin name: String) throws(PluginError) {
        let argumentsNode = self.value(fields, "arguments")
        let environmentNode = self.value(fields, "environment")
        if case .sequence(let items)? = argumentsNode {
            for (index, item) in items.enumerated() {
                let bytes = (item.scalar?.string.utf8.count ?? 0) + 1
                guard bytes <= Self.maximumExecString else {
                    throw self.error(
                        item,
                        "plugin \"\(name)\": argument \(index + 1) is \(bytes - 1) bytes; the kernel refuses to start a program with an argument or environment entry over 128 KiB (E2BIG), so every start would fail"
                    )
                }
            }
        }
        if case .mapping(let pairs)? = environmentNode {
            for (key, value) in pairs {
                let bytes = (key.scalar?.string.utf8.count ?? 0) + 1 + (value.scalar?.string.utf8.count ?? 0) + 1
                guard bytes <= Self.maximumExecString else {
                    throw self.error(
                        value,
                        "plugin \"\(name)\": the environment entry \(key.scalar?.string ?? "?")=… is \(bytes - 1) bytes; the kernel refuses to start a program with an argument or environment entry over 128 KiB (E2BIG), so every start would fail"
                    )
                }
            }
        }
        // The host passes its own environment on, under the spec's entries.
        let environment = ProcessInfo.processInfo.environment.merging(spec.environment) { $1 }
        let pointer = MemoryLayout<UnsafePointer<CChar>>.size
        let arguments = ([spec.path] + spec.arguments).reduce(0) { $0 + $1.utf8.count + 1 + pointer }
        let entries = environment.reduce(0) { $0 + $1.key.utf8.count + $1.value.utf8.count + 2 + pointer }
        guard arguments + entries <= Self.maximumExecTotal else {
            let node = entries > arguments ? environmentNode : argumentsNode
            throw self.error(
                node ?? fields.first?.0,
                "plugin \"\(name)\": its arguments and environment (with the host's own, which plugins inherit) take \(arguments + entries) bytes, over the \(Self.maximumExecTotal) the kernel allows a program to start with (ARG_MAX, less what the host adds), so every start would fail with E2BIG"
            )
        }
    }
}
