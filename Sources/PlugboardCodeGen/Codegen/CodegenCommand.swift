import Foundation

/// `protoc-gen-plugboard --package-root DIR [--config PATH] [--list-outputs]`: the work behind the
/// `generate-plugboard-code` command plugin (which runs it), kept in this executable so that tests
/// can run it without building a package. protoc runs this executable without arguments, as a
/// protoc plugin; with arguments, it is this command.
package enum CodegenCommand {
    static let defaultConfig = "plugboard-codegen.json"

    static let usage = """
        usage: swift package --allow-writing-to-package-directory generate-plugboard-code [--config PATH] [--list-outputs]
               protoc-gen-plugboard --package-root DIR [--config PATH] [--list-outputs]

          --config PATH    the config, relative to the package root (default: \(defaultConfig))
          --list-outputs   print the folders the config writes into, one a line, and generate nothing
        """

    /// Debian packages, for messages.
    static let packagesHint =
        "install protoc with `apt-get install protobuf-compiler`, protoc-c with `apt-get install protobuf-c-compiler`, "
        + "and the google/protobuf/*.proto includes with `apt-get install libprotoc-dev`"

    /// Runs the command; returns the exit status.
    package static func main(_ arguments: [String]) -> Int32 {
        do {
            try self.run(arguments)
            return 0
        } catch {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            return 1
        }
    }

    static func run(_ arguments: [String]) throws {
        var root: String?
        var config = Self.defaultConfig
        var listOutputs = false
        var remaining = arguments[...]
        while let argument = remaining.popFirst() {
            switch argument {
            case "--package-root", "--config":
                guard let value = remaining.popFirst() else {
                    throw CodegenError("\(argument) needs a value\n\(usage)")
                }
                if argument == "--config" { config = value } else { root = value }
            case "--list-outputs":
                listOutputs = true
            case "--help", "-h":
                print(usage)
                return
            default:
                throw CodegenError("unknown argument \(argument)\n\(usage)")
            }
        }
        guard let root else { throw CodegenError("--package-root is missing\n\(usage)") }
        let rootURL = URL(fileURLWithPath: root).standardizedFileURL
        let configURL = config.hasPrefix("/") ? URL(fileURLWithPath: config) : rootURL.appendingPathComponent(config)
        guard let data = FileManager.default.contents(atPath: configURL.path) else {
            throw CodegenError(
                "no config at \(configURL.path); write one (see the doc comment of the GeneratePlugboardCode plugin) "
                    + "or pass --config PATH"
            )
        }
        let parsed = try CodegenConfig(json: data, source: config)
        if listOutputs {
            for folder in parsed.outputFolders { print(folder) }
            return
        }
        let generation = CodeGeneration(root: rootURL, config: parsed, tools: try Tools.find())
        let outputs = try generation.run()
        let sync = OutputSync(root: rootURL, config: Self.relative(configURL, to: rootURL), outputs: outputs)
        let report = try sync.apply { print($0) }
        print(report.summary)
    }

    /// `path` relative to `root` when inside it, else absolute.
    static func relative(_ url: URL, to root: URL) -> String {
        let path = url.standardizedFileURL.path
        let prefix = root.path.hasSuffix("/") ? root.path : root.path + "/"
        return path.hasPrefix(prefix) ? String(path.dropFirst(prefix.count)) : path
    }
}

/// protoc, protoc-c and this generator, found before anything runs.
struct Tools {
    var protoc: URL
    /// protoc-c, or why it is missing (a config without cTargets needs none).
    var protocCSearch: Result<URL, CodegenError>
    var generator: URL
    /// The folders that hold google/protobuf/*.proto: `include` next to protoc's `bin`, and /usr/include.
    var systemIncludes: [URL]

    static func find(path: String = ProcessInfo.processInfo.environment["PATH"] ?? "") throws -> Tools {
        func search(_ name: String, package: String) throws(CodegenError) -> URL {
            for folder in path.split(separator: ":") where !folder.isEmpty {
                let candidate = URL(fileURLWithPath: String(folder)).appendingPathComponent(name)
                if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            }
            throw CodegenError(
                "\(name) is not on PATH; install the Debian package \(package) (`sudo apt-get install \(package)`). "
                    + "Code generation needs protobuf-compiler (protoc), protobuf-c-compiler (protoc-c) and "
                    + "libprotoc-dev (the google/protobuf/*.proto includes)."
            )
        }
        let protoc = try search("protoc", package: "protobuf-compiler")
        let protocC = Result { () throws(CodegenError) in try search("protoc-c", package: "protobuf-c-compiler") }
        let generator = Bundle.main.executableURL ?? URL(fileURLWithPath: CommandLine.arguments[0])
        var includes: [URL] = []
        let nextToProtoc = protoc.resolvingSymlinksInPath().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("include")
        for folder in [nextToProtoc, URL(fileURLWithPath: "/usr/include")]
        where FileManager.default.fileExists(atPath: folder.path) && !includes.contains(folder.standardizedFileURL) {
            includes.append(folder.standardizedFileURL)
        }
        return Tools(protoc: protoc, protocCSearch: protocC, generator: generator, systemIncludes: includes)
    }

    func protocC() throws -> URL { try self.protocCSearch.get() }
}

/// Runs protoc-c and protoc for every set into a temporary folder and collects what each output
/// folder should hold. Nothing in the package changes here.
struct CodeGeneration {
    var root: URL
    var config: CodegenConfig
    var tools: Tools

    /// Output folder → file (relative to the folder) → content.
    func run() throws -> [String: [String: Data]] {
        if self.config.sets.contains(where: { $0.cTarget != nil }) { _ = try self.tools.protocC() }
        let resolved = try self.resolveProtos()
        try self.checkCompiledOnce(resolved)
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("plugboard-codegen-\(UUID())")
        try FileManager.default.createDirectory(
            at: scratch.appendingPathComponent("cwd"), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }

        var outputs: [String: [String: (content: Data, set: CodegenConfig.ProtoSet)]] = [:]
        func add(_ folder: String, _ file: String, _ content: Data, from set: CodegenConfig.ProtoSet) throws {
            if let other = outputs[folder]?[file] {
                throw CodegenError(
                    "\(other.set.name) and \(set.name) both generate \(folder)/\(file); give them different targets "
                        + "or rename one of the .proto files"
                )
            }
            outputs[folder, default: [:]][file] = (content, set)
        }
        for set in self.config.sets {
            let includes = self.importPaths(of: set).map { "-I\($0.path)" }
            if let cTarget = set.cTarget {
                let out = scratch.appendingPathComponent("\(set.index)/c")
                let arguments = ["--c_out=\(out.path)"] + includes + set.protos
                try self.protoc(
                    self.tools.protocC(), arguments, out: out, set: set, in: scratch.appendingPathComponent("cwd"))
                for file in try Self.files(under: out) {
                    let content = try Data(contentsOf: out.appendingPathComponent(file))
                    try add(cTarget, file.hasSuffix(".h") ? "include/\(file)" : file, content, from: set)
                }
            }
            if let swiftTarget = set.swiftTarget {
                let out = scratch.appendingPathComponent("\(set.index)/swift")
                let options = self.cModules(for: set).map { "--plugboard_opt=c_module=\($0.key):\($0.value)" }.sorted()
                let arguments =
                    ["--plugin=protoc-gen-plugboard=\(self.tools.generator.path)", "--plugboard_out=\(out.path)"]
                    + options + includes + set.protos
                try self.protoc(
                    self.tools.protoc, arguments, out: out, set: set, in: scratch.appendingPathComponent("cwd"))
                for file in try Self.files(under: out) {
                    try add(swiftTarget, file, try Data(contentsOf: out.appendingPathComponent(file)), from: set)
                }
            }
        }
        return outputs.mapValues { $0.mapValues(\.content) }
    }

    /// A set's own import paths, then the config's, then the system's.
    private func importPaths(of set: CodegenConfig.ProtoSet) -> [URL] {
        let configured = (set.importPaths + self.config.importPaths).map {
            $0.hasPrefix("/") ? URL(fileURLWithPath: $0) : self.root.appendingPathComponent($0)
        }
        var seen: [URL] = []
        for url in configured.map(\.standardizedFileURL) + self.tools.systemIncludes where !seen.contains(url) {
            seen.append(url)
        }
        return seen
    }

    /// Each set's files on disk, by the import path that holds them.
    private func resolveProtos() throws -> [Int: [String: URL]] {
        var resolved: [Int: [String: URL]] = [:]
        for set in self.config.sets {
            let paths = self.importPaths(of: set)
            for proto in set.protos {
                guard
                    let file = paths.map({ $0.appendingPathComponent(proto) })
                        .first(where: { FileManager.default.fileExists(atPath: $0.path) })
                else {
                    var message =
                        "\(set.name): \(proto) is in none of the import paths ("
                        + paths.map { CodegenCommand.relative($0, to: self.root) }.joined(separator: ", ") + ")"
                    if proto.hasPrefix("google/protobuf/") { message += "; \(CodegenCommand.packagesHint)" }
                    throw CodegenError(message)
                }
                resolved[set.index, default: [:]][proto] = file.resolvingSymlinksInPath()
            }
        }
        return resolved
    }

    /// The same file compiled to C twice would define its C symbols twice.
    private func checkCompiledOnce(_ resolved: [Int: [String: URL]]) throws {
        var compiledBy: [URL: CodegenConfig.ProtoSet] = [:]
        for set in self.config.sets where set.cTarget != nil {
            for proto in set.protos {
                let file = resolved[set.index]![proto]!
                if let other = compiledBy[file] {
                    throw CodegenError(
                        "\(other.name) and \(set.name) both compile \(proto) to C, which would define its symbols "
                            + "twice; compile it in one set and leave cTarget out of the other (its Swift then "
                            + "imports the first set's C module)"
                    )
                }
                compiledBy[file] = set
            }
        }
    }

    /// The C module of every file the config knows, as the Swift of `set` should import it: the set's
    /// own module for its own files, else the module of the set that compiles the file to C, else a
    /// module a Swift-only set names. Files without one get the generator's default.
    func cModules(for set: CodegenConfig.ProtoSet) -> [String: String] {
        var modules: [String: String] = [:]
        var ambiguous: Set<String> = []
        for other in self.config.sets where other.cTarget == nil {
            for proto in other.protos { if let module = other.cModule { modules[proto] = module } }
        }
        var compiled: [String: String] = [:]
        for other in self.config.sets where other.cTarget != nil {
            for proto in other.protos {
                if let known = compiled[proto], known != other.cModule { ambiguous.insert(proto) }
                compiled[proto] = other.cModule
            }
        }
        modules.merge(compiled) { $1 }
        for proto in ambiguous { modules[proto] = nil }
        for proto in set.protos {
            if let module = set.cModule { modules[proto] = module }
        }
        return modules
    }

    /// Runs protoc or protoc-c in `folder` (empty, so that the .proto names are found through the
    /// import paths only) after creating its output folder `out`.
    private func protoc(_ tool: URL, _ arguments: [String], out: URL, set: CodegenConfig.ProtoSet, in folder: URL)
        throws
    {
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        let process = Process()
        process.executableURL = tool
        process.arguments = arguments
        process.currentDirectoryURL = folder
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            var message = "\(set.name): \(tool.lastPathComponent) failed:\n\(text.trimmingCharacters(in: .newlines))"
            if text.contains("google/protobuf/"), text.contains("File not found") {
                message += "\n\(CodegenCommand.packagesHint)"
            }
            throw CodegenError(message)
        }
        if !text.isEmpty { FileHandle.standardError.write(Data("\(set.name): \(text)".utf8)) }
    }

    /// Regular files under `folder`, relative to it, sorted.
    static func files(under folder: URL) throws -> [String] {
        guard let enumerator = FileManager.default.enumerator(atPath: folder.path) else { return [] }
        var files: [String] = []
        while let path = enumerator.nextObject() as? String {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(
                atPath: folder.appendingPathComponent(path).path, isDirectory: &isDirectory),
                !isDirectory.boolValue
            {
                files.append(path)
            }
        }
        return files.sorted()
    }
}
