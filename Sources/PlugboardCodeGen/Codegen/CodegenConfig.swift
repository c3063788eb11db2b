import Foundation

/// `plugboard-codegen.json`: which `.proto` files become which C and Swift targets.
///
/// ```json
/// { "importPaths": ["Protos"],
///   "sets": [ { "protos": ["inventory/v1/inventory.proto"], "cTarget": "Sources/CInventoryV1",
///               "cModule": "CInventoryV1", "swiftTarget": "Sources/Inventory" } ] }
/// ```
struct CodegenConfig: Equatable {
    /// One entry of `sets`: `.proto` files compiled together into one C target and/or one Swift target.
    struct ProtoSet: Equatable {
        /// Its place in `sets`, for messages (`sets[2]`).
        var index: Int
        /// Relative to an import path: `inventory/v1/inventory.proto`.
        var protos: [String]
        /// Folder (relative to the package root) that receives protoc-c's output: sources in it,
        /// headers under its `include/`.
        var cTarget: String?
        /// The module the generated Swift imports for these files' C structs: given, or the last
        /// path component of `cTarget`, or none (the C structs come from another set, or the default).
        var cModule: String?
        /// Folder (relative to the package root) that receives the `.pb.swift` and `.grpc.swift` files.
        var swiftTarget: String?
        /// Searched before the top-level `importPaths`.
        var importPaths: [String]

        var name: String { "sets[\(self.index)]" }
    }

    var importPaths: [String]
    var sets: [ProtoSet]

    /// Every folder a set writes into, sorted, each once.
    var outputFolders: [String] {
        Array(Swift.Set(self.sets.flatMap { [$0.cTarget, $0.swiftTarget].compactMap { $0 } })).sorted()
    }

    static let topLevelKeys = ["importPaths", "sets"]
    static let setKeys = ["protos", "cTarget", "cModule", "swiftTarget", "importPaths"]

    /// Reads and checks the JSON; `source` names the file in messages.
    init(json: Data, source: String) throws {
        func fail(_ message: String) -> CodegenError { CodegenError("\(source): \(message)") }
        let root: Any
        do {
            root = try JSONSerialization.jsonObject(with: json)
        } catch {
            throw fail("not valid JSON (\(error.localizedDescription))")
        }
        guard let object = root as? [String: Any] else { throw fail("expected a JSON object at the top level") }
        if let unknown = object.keys.sorted().first(where: { !Self.topLevelKeys.contains($0) }) {
            throw fail("unknown key \"\(unknown)\" (expected \(Self.topLevelKeys.joined(separator: ", ")))")
        }
        self.importPaths = try Self.paths(object["importPaths"], at: "importPaths", fail) ?? []
        guard let sets = object["sets"] as? [Any], !sets.isEmpty else {
            throw fail("\"sets\" must be a non-empty array of sets")
        }
        self.sets = try sets.enumerated().map { index, value in
            let at = "sets[\(index)]"
            guard let set = value as? [String: Any] else { throw fail("\(at) must be an object") }
            if let unknown = set.keys.sorted().first(where: { !Self.setKeys.contains($0) }) {
                throw fail("\(at): unknown key \"\(unknown)\" (expected \(Self.setKeys.joined(separator: ", ")))")
            }
            guard let protos = set["protos"] as? [String], !protos.isEmpty else {
                throw fail("\(at).protos must be a non-empty array of .proto paths")
            }
            for proto in protos {
                guard proto.hasSuffix(".proto"), let normal = Self.normalized(proto), normal == proto else {
                    throw fail(
                        "\(at).protos: \"\(proto)\" must be a relative path ending in .proto, "
                            + "without `.`, `..` or `//` (relative to an import path)")
                }
            }
            if let twice = protos.firstDuplicate {
                throw fail("\(at).protos lists \(twice) twice")
            }
            let cTarget = try Self.folder(set["cTarget"], at: "\(at).cTarget", fail)
            let swiftTarget = try Self.folder(set["swiftTarget"], at: "\(at).swiftTarget", fail)
            if cTarget == nil, swiftTarget == nil {
                throw fail("\(at) has neither cTarget nor swiftTarget: nothing to generate")
            }
            var cModule = cTarget.map { String($0.split(separator: "/").last!) }
            if let given = set["cModule"] {
                guard let given = given as? String, given.isSwiftIdentifier else {
                    throw fail("\(at).cModule must be a module name (a Swift identifier)")
                }
                cModule = given
            }
            if let module = cModule, !module.isSwiftIdentifier {
                throw fail("\(at): the C module would be \"\(module)\", which is no Swift identifier; give \"cModule\"")
            }
            return ProtoSet(
                index: index,
                protos: protos,
                cTarget: cTarget,
                cModule: cModule,
                swiftTarget: swiftTarget,
                importPaths: try Self.paths(set["importPaths"], at: "\(at).importPaths", fail) ?? []
            )
        }
        try self.checkFolders(fail)
    }

    /// Output folders must not step on each other: one set per C target, C and Swift apart, no
    /// folder inside another. Several sets may share a Swift target (their file names are checked
    /// when they are generated).
    private func checkFolders(_ fail: (String) -> CodegenError) throws {
        var cOwners: [String: ProtoSet] = [:]
        for set in self.sets {
            guard let folder = set.cTarget else { continue }
            if let other = cOwners[folder] {
                throw fail(
                    "\(other.name) and \(set.name) both write C into \(folder); a C target takes one set "
                        + "(put all of its .proto files in one set's \"protos\")")
            }
            cOwners[folder] = set
        }
        let swiftFolders = Swift.Set(self.sets.compactMap(\.swiftTarget))
        for folder in swiftFolders {
            if let set = cOwners[folder] {
                throw fail(
                    "\(folder) is \(set.name)'s cTarget and also a swiftTarget; C and Swift need separate targets")
            }
        }
        let folders = self.outputFolders
        for outer in folders {
            for inner in folders where inner != outer && inner.hasPrefix(outer + "/") {
                throw fail("output folder \(inner) is inside output folder \(outer); targets must not nest")
            }
        }
    }

    /// Reads an optional array of paths (relative to the package root, or absolute).
    private static func paths(_ value: Any?, at: String, _ fail: (String) -> CodegenError) throws -> [String]? {
        guard let value else { return nil }
        guard let paths = value as? [String], paths.allSatisfy({ !$0.isEmpty }) else {
            throw fail("\(at) must be an array of folder paths")
        }
        return paths
    }

    /// Reads an optional output folder: relative to the package root, inside it.
    private static func folder(_ value: Any?, at: String, _ fail: (String) -> CodegenError) throws -> String? {
        guard let value else { return nil }
        guard let path = value as? String, let normal = Self.normalized(path) else {
            throw fail(
                "\(at) must be a folder path relative to the package root, without `..` (e.g. \"Sources/CInventoryV1\")"
            )
        }
        return normal
    }

    /// `a/./b/` → `a/b`; nil for absolute paths, `..`, or nothing left.
    static func normalized(_ path: String) -> String? {
        guard !path.hasPrefix("/") else { return nil }
        let pieces = path.split(separator: "/", omittingEmptySubsequences: false).enumerated().filter { index, piece in
            !(piece == "." || (piece.isEmpty && index > 0))
        }.map(\.element)
        guard !pieces.isEmpty, !pieces.contains(where: { $0 == ".." || $0.isEmpty }) else { return nil }
        return pieces.joined(separator: "/")
    }
}

/// A problem that stops `generate-plugboard-code`; printed as `error: <message>`.
struct CodegenError: Error, CustomStringConvertible {
    var description: String

    init(_ description: String) {
        self.description = description
    }
}

extension String {
    /// A plain Swift identifier: a letter or `_`, then letters, digits or `_`.
    fileprivate var isSwiftIdentifier: Bool {
        guard let first = self.unicodeScalars.first, first == "_" || CharacterSet.letters.contains(first) else {
            return false
        }
        return self.unicodeScalars.allSatisfy { $0 == "_" || CharacterSet.alphanumerics.contains($0) }
    }
}

extension Array where Element: Hashable {
    fileprivate var firstDuplicate: Element? {
        var seen: Swift.Set<Element> = []
        return self.first { !seen.insert($0).inserted }
    }
}
