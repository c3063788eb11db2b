import Foundation

/// `.plugboard-generated`: the files `generate-plugboard-code` wrote into one output folder, and
/// the config that wrote them. A file is removed as stale only when it is listed here and no set of
/// that config generates it any more; files not listed are never removed.
struct Manifest: Equatable {
    static let fileName = ".plugboard-generated"

    /// The config file, relative to the package root.
    var config: String
    /// Relative to the output folder, sorted.
    var files: [String]

    init(config: String, files: [String]) {
        self.config = config
        self.files = files.sorted()
    }

    /// Parses a manifest; nil when the text is not one.
    init?(text: String) {
        var config: String?
        var files: [String] = []
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            if line.hasPrefix("config ") {
                config = String(line.dropFirst("config ".count))
            } else if line.hasPrefix("file ") {
                files.append(String(line.dropFirst("file ".count)))
            } else {
                return nil
            }
        }
        guard let config else { return nil }
        self.init(config: config, files: files)
    }

    var text: String {
        var text = "# Written by `swift package generate-plugboard-code` (protoc-gen-plugboard). It removes a file\n"
        text += "# listed here once no set of the config generates it; it never removes a file not listed here.\n"
        text += "config \(self.config)\n"
        for file in self.files { text += "file \(file)\n" }
        return text
    }
}

/// Brings output folders to the generated content: writes only files whose bytes differ, removes
/// only stale files that its manifest lists, and checks everything before it changes anything.
struct OutputSync {
    struct Report: Equatable {
        /// Paths relative to the package root.
        var written: [String] = []
        var unchanged = 0
        var removed: [String] = []

        var summary: String {
            func count(_ n: Int, _ what: String) -> String { "\(n) \(n == 1 ? "file" : "files") \(what)" }
            var summary = "\(count(self.written.count, "written")), \(self.unchanged) unchanged"
            if !self.removed.isEmpty { summary += ", \(self.removed.count) removed" }
            return summary
        }
    }

    /// The package root.
    var root: URL
    /// The config file relative to the package root, as recorded in manifests.
    var config: String
    /// Output folder (relative to the root) → file (relative to the folder) → content.
    var outputs: [String: [String: Data]]

    private let fileManager = FileManager.default

    /// Applies the outputs; `log` receives one line per file written or removed.
    func apply(log: (String) -> Void) throws -> Report {
        let plans = try self.outputs.keys.sorted().map { try self.plan($0) }
        var report = Report()
        for plan in plans {
            for (path, content) in plan.writes {
                let url = self.root.appendingPathComponent(path)
                try self.fileManager.createDirectory(
                    at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
                try content.write(to: url, options: .atomic)
                log("wrote \(path)")
                report.written.append(path)
            }
            for path in plan.removals {
                try self.fileManager.removeItem(at: self.root.appendingPathComponent(path))
                log("removed \(path)")
                report.removed.append(path)
                self.pruneEmptyFolders(above: path, upTo: plan.folder)
            }
            report.unchanged += plan.unchanged
        }
        return report
    }

    private struct FolderPlan {
        var folder: String
        var writes: [(String, Data)] = []
        var removals: [String] = []
        var unchanged = 0
    }

    /// What one folder needs, or why it must not be touched.
    private func plan(_ folder: String) throws -> FolderPlan {
        let files = self.outputs[folder] ?? [:]
        let manifestPath = "\(folder)/\(Manifest.fileName)"
        var previous: Manifest?
        if let data = self.fileManager.contents(atPath: self.root.appendingPathComponent(manifestPath).path) {
            guard let manifest = Manifest(text: String(decoding: data, as: UTF8.self)) else {
                throw CodegenError("\(manifestPath) is not a manifest this tool wrote; move it away and run again")
            }
            guard manifest.config == self.config else {
                throw CodegenError(
                    "\(folder) holds the output of \(manifest.config) (see \(manifestPath)), not of \(self.config); "
                        + "two configs must not write into one folder"
                )
            }
            previous = manifest
        }
        let listed = Set(previous?.files ?? [])
        var plan = FolderPlan(folder: folder)
        let manifest = Manifest(config: self.config, files: Array(files.keys))
        for (file, content) in files.sorted(by: { $0.key < $1.key }) + [(Manifest.fileName, Data(manifest.text.utf8))] {
            let path = "\(folder)/\(file)"
            let existing = self.fileManager.contents(atPath: self.root.appendingPathComponent(path).path)
            if existing == content {
                plan.unchanged += 1
                continue
            }
            if let existing, file != Manifest.fileName, !listed.contains(file), !Self.looksGenerated(existing) {
                throw CodegenError(
                    "\(path) exists, was not written by this tool (it is not in \(manifestPath)) and does not say "
                        + "DO NOT EDIT; refusing to overwrite it: move it away, or generate into another folder"
                )
            }
            plan.writes.append((path, content))
        }
        for file in listed.sorted() where files[file] == nil {
            let path = "\(folder)/\(file)"
            if self.fileManager.fileExists(atPath: self.root.appendingPathComponent(path).path) {
                plan.removals.append(path)
            }
        }
        return plan
    }

    /// Generated code says so on its first lines (protoc-c and protoc-gen-plugboard both do).
    static func looksGenerated(_ content: Data) -> Bool {
        String(decoding: content.prefix(200), as: UTF8.self).contains("DO NOT EDIT")
    }

    /// Removes the folders between a removed file and its output folder that are now empty.
    private func pruneEmptyFolders(above path: String, upTo folder: String) {
        var current = (path as NSString).deletingLastPathComponent
        while current.hasPrefix(folder + "/") {
            let url = self.root.appendingPathComponent(current)
            guard let contents = try? self.fileManager.contentsOfDirectory(atPath: url.path), contents.isEmpty else {
                return
            }
            try? self.fileManager.removeItem(at: url)
            current = (current as NSString).deletingLastPathComponent
        }
    }
}
