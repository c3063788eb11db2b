public import PlugboardCore

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The plugins a host will load, each with its description, checked as a whole before any starts.
public struct PluginCatalog: Sendable {
    /// A plugin to load, and what it says it serves.
    public struct Entry: Sendable {
        public var spec: PluginSpec
        public var description: PluginDescription
    }

    public private(set) var entries: [Entry]

    /// Every executable file directly in `directory`, sorted by name, as a spec with defaults.
    public static func executables(in directory: String) throws(PluginError) -> [PluginSpec] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else {
            throw PluginError(
                code: .invalidConfiguration,
                message:
                    "Expected a directory of plugin executables at \(directory), but it cannot be read. Run `make` to build the plugins into assets/, or pass --assets."
            )
        }
        return names.sorted().compactMap { name in
            let path = URL(fileURLWithPath: directory).appendingPathComponent(name).standardizedFileURL.path
            var isDirectory = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory,
                FileManager.default.isExecutableFile(atPath: path)
            else { return nil }
            return PluginSpec(path: path)
        }
    }

    /// Describes every plugin (in parallel) and checks the set: every plugin serves at least one
    /// service set, no two claim the same set, and each speaks a version its spec accepts.
    public static func load(_ specs: [PluginSpec]) async throws(PluginError) -> PluginCatalog {
        let described = await withTaskGroup(of: (Int, Result<PluginDescription, PluginError>).self) { group in
            for (index, spec) in specs.enumerated() {
                group.addTask { (index, await Self.describe(spec)) }
            }
            var results: [Int: Result<PluginDescription, PluginError>] = [:]
            for await (index, result) in group { results[index] = result }
            return results
        }
        var entries: [Entry] = []
        for (index, spec) in specs.enumerated() {
            guard let result = described[index] else { continue }
            entries.append(Entry(spec: spec, description: try result.get()))
        }
        try Self.validate(entries)
        return PluginCatalog(entries: entries)
    }

    private static func describe(_ spec: PluginSpec) async -> Result<PluginDescription, PluginError> {
        do {
            return .success(try await PluginDescriber.describe(spec))
        } catch {
            return .failure(error)
        }
    }

    static func validate(_ entries: [Entry]) throws(PluginError) {
        var owners: [String: Entry] = [:]
        for entry in entries {
            let spec = entry.spec
            guard !entry.description.serviceSets.isEmpty else {
                throw PluginError(
                    code: .noServiceSets,
                    message:
                        "Expected the plugin to describe at least one service set, but its --describe lists none, so there is nothing to call. Register its services with PluginServer.serve(description:…).",
                    pluginName: spec.name, executablePath: spec.path)
            }
            let common = Set(entry.description.appProtocolVersions).intersection(spec.handshake.appProtocolVersions)
            guard !common.isEmpty else {
                throw PluginError(
                    code: .appVersionUnsupported,
                    message:
                        "Expected the plugin to speak one of the app protocol versions \(spec.handshake.appProtocolVersions), but it speaks \(entry.description.appProtocolVersions). Rebuild it against a compatible SDK, or change the host's accepted versions.",
                    pluginName: spec.name, executablePath: spec.path)
            }
            for set in entry.description.serviceSets {
                if let owner = owners[set.name] {
                    throw PluginError(
                        code: .serviceSetConflict,
                        message:
                            "Both \"\(owner.spec.name)\" (\(owner.spec.path)) and \"\(spec.name)\" serve the service set \"\(set.name)\"; a host calls one plugin per set. Remove one of them from the assets or the configuration.",
                        pluginName: spec.name, executablePath: spec.path)
                }
                owners[set.name] = entry
            }
        }
    }

    /// The entry serving the service set `name`.
    public func entry(serving name: String) -> Entry? {
        self.entries.first { $0.description.serviceSets.contains { $0.name == name } }
    }
}
