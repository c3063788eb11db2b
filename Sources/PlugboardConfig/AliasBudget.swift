// libyaml, which Yams builds as its C module: its event stream is the only place where an alias
// can be counted before Yams composes (and, for mapping keys, hashes) what it expands to.
import CYaml

/// Refuses a YAML text whose aliases would expand to more nodes than any configuration needs (a
/// "billion laughs" document: a few kilobytes of nested aliases that name 10^10 nodes, which Yams
/// composes as a graph but hashes, when an alias is a mapping key, once per path through it).
///
/// One pass over libyaml's events: each node counts 1, an alias counts as many nodes as its
/// anchor's node holds; the first alias that takes the document past the budget is reported.
enum AliasBudget {
    /// Nodes a document may expand to; a configuration of a hundred plugins has a few thousand.
    static let maximumNodes = 100_000

    struct Exceeded: Error {
        /// 1-based line of the alias that went over the budget.
        var line: Int
        var alias: String
    }

    /// Throws `Exceeded` for a text over the budget. Syntax errors are left to Yams, which reports
    /// them better.
    static func check(_ text: String, maximumNodes: Int = Self.maximumNodes) throws(Exceeded) {
        var bytes = Array(text.utf8)
        if bytes.isEmpty { return }
        var parser = yaml_parser_t()
        guard yaml_parser_initialize(&parser) == 1 else { return }
        defer { yaml_parser_delete(&parser) }
        let exceeded: Exceeded? = bytes.withUnsafeMutableBufferPointer { buffer -> Exceeded? in
            yaml_parser_set_input_string(&parser, buffer.baseAddress, buffer.count)
            yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING)
            var sizes: [String: Int] = [:]  // expanded size of each anchor's node (the latest wins, as in YAML)
            var open: [(anchor: String?, size: Int)] = []  // collections being read, innermost last
            var total = 0
            func finished(_ size: Int, anchor: String?) {
                if let anchor { sizes[anchor] = size }
                if !open.isEmpty { open[open.count - 1].size += size }
            }
            func anchor(_ name: UnsafeMutablePointer<yaml_char_t>?) -> String? {
                name.map { String(cString: $0) }
            }
            while true {
                var event = yaml_event_t()
                guard yaml_parser_parse(&parser, &event) == 1 else { return nil }
                defer { yaml_event_delete(&event) }
                switch event.type {
                case YAML_STREAM_END_EVENT:
                    return nil
                case YAML_SCALAR_EVENT:
                    total += 1
                    finished(1, anchor: anchor(event.data.scalar.anchor))
                case YAML_SEQUENCE_START_EVENT:
                    total += 1
                    open.append((anchor(event.data.sequence_start.anchor), 1))
                case YAML_MAPPING_START_EVENT:
                    total += 1
                    open.append((anchor(event.data.mapping_start.anchor), 1))
                case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
                    if let collection = open.popLast() { finished(collection.size, anchor: collection.anchor) }
                case YAML_ALIAS_EVENT:
                    let name = anchor(event.data.alias.anchor) ?? ""
                    let size = sizes[name] ?? 1  // an undefined alias is Yams' error to report
                    total += size
                    if total > maximumNodes {
                        return Exceeded(line: Int(event.start_mark.line) + 1, alias: name)
                    }
                    finished(size, anchor: nil)
                default:
                    break
                }
            }
        }
        if let exceeded { throw exceeded }
    }
}
