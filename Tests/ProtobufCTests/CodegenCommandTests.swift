import Foundation
import Testing

/// `generate-plugboard-code`'s rules, through the executable that does its work
/// (`protoc-gen-plugboard --package-root DIR …`, which the command plugin runs) on scratch packages.
/// The plugin itself runs on Plugboard in `make protos` / `make check-protos`.
@Suite("generate-plugboard-code")
struct CodegenCommandTests {
    /// A package folder in the temporary directory with a Protos/ folder and a config.
    final class ScratchPackage {
        let root: URL

        init() throws {
            self.root = FileManager.default.temporaryDirectory.appendingPathComponent(
                "plugboard-codegen-test-\(UUID())")
            try FileManager.default.createDirectory(at: self.root, withIntermediateDirectories: true)
        }

        deinit {
            try? FileManager.default.removeItem(at: self.root)
        }

        func write(_ path: String, _ text: String) throws {
            let url = self.root.appendingPathComponent(path)
            try FileManager.default.createDirectory(
                at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try text.write(to: url, atomically: true, encoding: .utf8)
        }

        func read(_ path: String) -> String? {
            FileManager.default.contents(atPath: self.root.appendingPathComponent(path).path)
                .map { String(decoding: $0, as: UTF8.self) }
        }

        func exists(_ path: String) -> Bool {
            FileManager.default.fileExists(atPath: self.root.appendingPathComponent(path).path)
        }

        func modified(_ path: String) throws -> Date {
            let attributes = try FileManager.default.attributesOfItem(
                atPath: self.root.appendingPathComponent(path).path)
            return attributes[.modificationDate] as! Date
        }

        /// Every file under the package, relative to it, with its content.
        func snapshot() throws -> [String: String] {
            var files: [String: String] = [:]
            let enumerator = FileManager.default.enumerator(atPath: self.root.path)!
            while let path = enumerator.nextObject() as? String {
                var isDirectory: ObjCBool = false
                _ = FileManager.default.fileExists(
                    atPath: self.root.appendingPathComponent(path).path, isDirectory: &isDirectory)
                if !isDirectory.boolValue { files[path] = self.read(path) }
            }
            return files
        }

        struct Run {
            var status: Int32
            var output: String
            var errors: String
            var lines: [String] { self.output.split(separator: "\n").map(String.init) }
        }

        /// Runs the command on this package, with the test process's PATH unless one is given.
        func generate(_ arguments: [String] = [], path: String? = nil) throws -> Run {
            let generator = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
                .appendingPathComponent("protoc-gen-plugboard")
            let process = Process()
            process.executableURL = generator
            process.arguments = ["--package-root", self.root.path] + arguments
            if let path {
                var environment = ProcessInfo.processInfo.environment
                environment["PATH"] = path
                process.environment = environment
            }
            let logs = self.root.deletingLastPathComponent().appendingPathComponent(
                "\(self.root.lastPathComponent).logs")
            try FileManager.default.createDirectory(at: logs, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: logs) }
            let out = logs.appendingPathComponent("out")
            let err = logs.appendingPathComponent("err")
            _ = FileManager.default.createFile(atPath: out.path, contents: nil)
            _ = FileManager.default.createFile(atPath: err.path, contents: nil)
            process.standardOutput = try FileHandle(forWritingTo: out)
            process.standardError = try FileHandle(forWritingTo: err)
            try process.run()
            process.waitUntilExit()
            return Run(
                status: process.terminationStatus,
                output: String(decoding: try Data(contentsOf: out), as: UTF8.self),
                errors: String(decoding: try Data(contentsOf: err), as: UTF8.self)
            )
        }
    }

    static let inventory = """
        syntax = "proto3";
        package inventory.v1;
        message Item { string name = 1; int32 count = 2; }
        message ListRequest {}
        message ListResponse { repeated Item items = 1; }
        service Inventory { rpc List(ListRequest) returns (ListResponse); }
        """

    static let oneSet = """
        { "importPaths": ["Protos"],
          "sets": [ { "protos": ["inventory/v1/inventory.proto"], "cTarget": "Sources/CInventoryV1",
                      "swiftTarget": "Sources/Inventory" } ] }
        """

    @Test("a first run writes C, headers, Swift and manifests; a second run writes nothing")
    func writesOnlyChanges() throws {
        let package = try ScratchPackage()
        try package.write("Protos/inventory/v1/inventory.proto", Self.inventory)
        try package.write("plugboard-codegen.json", Self.oneSet)

        let first = try package.generate()
        #expect(first.status == 0, "\(first.errors)")
        #expect(
            first.lines == [
                "wrote Sources/CInventoryV1/include/inventory/v1/inventory.pb-c.h",
                "wrote Sources/CInventoryV1/inventory/v1/inventory.pb-c.c",
                "wrote Sources/CInventoryV1/.plugboard-generated",
                "wrote Sources/Inventory/inventory.grpc.swift",
                "wrote Sources/Inventory/inventory.pb.swift",
                "wrote Sources/Inventory/.plugboard-generated",
                "6 files written, 0 unchanged",
            ])
        let swift = try #require(package.read("Sources/Inventory/inventory.pb.swift"))
        #expect(swift.contains("internal import CInventoryV1"))
        #expect(package.read("Sources/Inventory/.plugboard-generated")?.contains("file inventory.pb.swift") == true)

        let before = try package.snapshot()
        let stamp = try package.modified("Sources/Inventory/inventory.pb.swift")
        let second = try package.generate()
        #expect(second.status == 0, "\(second.errors)")
        #expect(second.output == "0 files written, 6 unchanged\n")
        #expect(try package.snapshot() == before)
        #expect(try package.modified("Sources/Inventory/inventory.pb.swift") == stamp)
    }

    @Test("a changed .proto rewrites only the files whose bytes changed")
    func rewritesChangedFiles() throws {
        let package = try ScratchPackage()
        try package.write("Protos/inventory/v1/inventory.proto", Self.inventory)
        try package.write("plugboard-codegen.json", Self.oneSet)
        #expect(try package.generate().status == 0)
        try package.write(
            "Protos/inventory/v1/inventory.proto",
            Self.inventory.replacingOccurrences(of: "int32 count = 2;", with: "int32 count = 2; string owner = 3;")
        )
        let run = try package.generate()
        #expect(run.status == 0, "\(run.errors)")
        #expect(
            Set(run.lines) == [
                "wrote Sources/CInventoryV1/include/inventory/v1/inventory.pb-c.h",
                "wrote Sources/CInventoryV1/inventory/v1/inventory.pb-c.c",
                "wrote Sources/Inventory/inventory.pb.swift",
                "3 files written, 3 unchanged",
            ])
    }

    @Test("a .proto leaving a set: its files go, files the tool never wrote stay")
    func removesOnlyItsOwnStaleFiles() throws {
        let package = try ScratchPackage()
        try package.write("Protos/inventory/v1/inventory.proto", Self.inventory)
        try package.write(
            "Protos/inventory/v1/extra.proto", "syntax = \"proto3\";\npackage inventory.v1;\nmessage Extra {}\n")
        try package.write(
            "plugboard-codegen.json",
            Self.oneSet.replacingOccurrences(
                of: "\"inventory/v1/inventory.proto\"",
                with: "\"inventory/v1/inventory.proto\", \"inventory/v1/extra.proto\""))
        try package.write("Sources/Inventory/Handwritten.swift", "// mine\n")
        try package.write("Sources/CInventoryV1/include/shim.h", "// mine\n")
        #expect(try package.generate().status == 0)
        #expect(package.exists("Sources/Inventory/extra.pb.swift"))

        try package.write("plugboard-codegen.json", Self.oneSet)
        let run = try package.generate()
        #expect(run.status == 0, "\(run.errors)")
        #expect(run.lines.contains("removed Sources/Inventory/extra.pb.swift"))
        #expect(run.lines.contains("removed Sources/CInventoryV1/inventory/v1/extra.pb-c.c"))
        #expect(run.lines.contains("removed Sources/CInventoryV1/include/inventory/v1/extra.pb-c.h"))
        #expect(run.lines.last == "2 files written, 4 unchanged, 3 removed")
        #expect(!package.exists("Sources/Inventory/extra.pb.swift"))
        #expect(package.read("Sources/Inventory/Handwritten.swift") == "// mine\n")
        #expect(package.read("Sources/CInventoryV1/include/shim.h") == "// mine\n")
        #expect(package.read("Sources/Inventory/.plugboard-generated")?.contains("extra") == false)
    }

    @Test("two sets naming one C folder: an error, and nothing is written")
    func sharedCTarget() throws {
        let package = try ScratchPackage()
        try package.write("Protos/inventory/v1/inventory.proto", Self.inventory)
        try package.write("Protos/other/v1/other.proto", "syntax = \"proto3\";\npackage other.v1;\nmessage O {}\n")
        try package.write(
            "plugboard-codegen.json",
            """
            { "importPaths": ["Protos"],
              "sets": [ { "protos": ["inventory/v1/inventory.proto"], "cTarget": "Sources/CShared" },
                        { "protos": ["other/v1/other.proto"], "cTarget": "Sources/CShared/" } ] }
            """)
        let run = try package.generate()
        #expect(run.status != 0)
        #expect(run.errors.contains("sets[0] and sets[1] both write C into Sources/CShared; a C target takes one set"))
        #expect(!package.exists("Sources"))
    }

    @Test("sets may share a Swift folder, but not a generated file name")
    func sharedSwiftTarget() throws {
        let package = try ScratchPackage()
        try package.write("Protos/inventory/v1/inventory.proto", Self.inventory)
        try package.write("Protos/other/v1/other.proto", "syntax = \"proto3\";\npackage other.v1;\nmessage O {}\n")
        try package.write("Protos/other/v2/inventory.proto", "syntax = \"proto3\";\npackage other.v2;\nmessage I {}\n")
        try package.write(
            "plugboard-codegen.json",
            """
            { "importPaths": ["Protos"],
              "sets": [ { "protos": ["inventory/v1/inventory.proto"], "cTarget": "Sources/CInventoryV1", "swiftTarget": "Sources/All" },
                        { "protos": ["other/v1/other.proto"], "cTarget": "Sources/COther", "swiftTarget": "Sources/All" } ] }
            """)
        let run = try package.generate()
        #expect(run.status == 0, "\(run.errors)")
        #expect(package.read("Sources/All/other.pb.swift")?.contains("internal import COther") == true)
        #expect(package.read("Sources/All/inventory.pb.swift")?.contains("internal import CInventoryV1") == true)
        let manifest = try #require(package.read("Sources/All/.plugboard-generated"))
        #expect(manifest.contains("file other.pb.swift") && manifest.contains("file inventory.pb.swift"))

        try package.write(
            "plugboard-codegen.json",
            """
            { "importPaths": ["Protos"],
              "sets": [ { "protos": ["inventory/v1/inventory.proto"], "cTarget": "Sources/CInventoryV1", "swiftTarget": "Sources/All" },
                        { "protos": ["other/v2/inventory.proto"], "cTarget": "Sources/COther", "swiftTarget": "Sources/All" } ] }
            """)
        let clash = try package.generate()
        #expect(clash.status != 0)
        #expect(clash.errors.contains("sets[0] and sets[1] both generate Sources/All/inventory.pb.swift"))
    }

    @Test("two sets with the same proto package in different C folders each import their own module")
    func samePackageTwoModules() throws {
        let package = try ScratchPackage()
        let kv = "syntax = \"proto3\";\npackage proto;\nmessage GetRequest { string key = 1; }\n"
        try package.write("examples/grpc/proto/kv.proto", kv)
        try package.write("examples/bidirectional/proto/kv.proto", kv)
        try package.write(
            "codegen.json",
            """
            { "sets": [
                { "importPaths": ["examples/grpc"], "protos": ["proto/kv.proto"],
                  "cTarget": "Sources/CKVGRPC", "swiftTarget": "Sources/KVGRPC" },
                { "importPaths": ["examples/bidirectional"], "protos": ["proto/kv.proto"],
                  "cTarget": "Sources/CKVBidirectional", "cModule": "CKVBidi", "swiftTarget": "Sources/KVBidirectional" } ] }
            """)
        let run = try package.generate(["--config", "codegen.json"])
        #expect(run.status == 0, "\(run.errors)")
        let grpc = try #require(package.read("Sources/KVGRPC/kv.pb.swift"))
        let bidirectional = try #require(package.read("Sources/KVBidirectional/kv.pb.swift"))
        #expect(grpc.contains("internal import CKVGRPC") && !grpc.contains("import CProto\n"))
        #expect(bidirectional.contains("internal import CKVBidi") && !bidirectional.contains("import CProto\n"))
        #expect(package.read("Sources/KVGRPC/.plugboard-generated")?.contains("config codegen.json") == true)
    }

    @Test("a Swift-only set and an importing set use the C module of the set that compiles the file")
    func modulesAcrossSets() throws {
        let package = try ScratchPackage()
        try package.write(
            "Protos/common/v1/money.proto",
            "syntax = \"proto3\";\npackage common.v1;\nmessage Money { int64 cents = 1; }\n")
        try package.write(
            "Protos/shop/v1/shop.proto",
            """
            syntax = "proto3";
            package shop.v1;
            import "common/v1/money.proto";
            message Price { common.v1.Money amount = 1; }
            """)
        try package.write(
            "plugboard-codegen.json",
            """
            { "importPaths": ["Protos"],
              "sets": [ { "protos": ["common/v1/money.proto"], "cTarget": "Sources/CMoneyStructs" },
                        { "protos": ["common/v1/money.proto"], "swiftTarget": "Sources/Money" },
                        { "protos": ["shop/v1/shop.proto"], "cTarget": "Sources/CShop", "swiftTarget": "Sources/Shop" } ] }
            """)
        let run = try package.generate()
        #expect(run.status == 0, "\(run.errors)")
        #expect(package.read("Sources/Money/money.pb.swift")?.contains("internal import CMoneyStructs") == true)
        let shop = try #require(package.read("Sources/Shop/shop.pb.swift"))
        #expect(shop.contains("internal import CMoneyStructs") && shop.contains("internal import CShop"))
    }

    @Test("protoc missing from PATH: an error naming the Debian packages")
    func missingProtoc() throws {
        let package = try ScratchPackage()
        try package.write("Protos/inventory/v1/inventory.proto", Self.inventory)
        try package.write("plugboard-codegen.json", Self.oneSet)
        let run = try package.generate(path: "/nonexistent")
        #expect(run.status != 0)
        #expect(run.errors.contains("protoc is not on PATH; install the Debian package protobuf-compiler"))
        #expect(run.errors.contains("protobuf-c-compiler") && run.errors.contains("libprotoc-dev"))
        #expect(!package.exists("Sources"))
    }

    @Test("an unsupported construct: the generator's error with file and line, nothing written")
    func generatorError() throws {
        let package = try ScratchPackage()
        try package.write(
            "Protos/bad/v1/bad.proto",
            "syntax = \"proto3\";\npackage bad.v1;\nmessage M {\n  optional int32 limit = 1;\n}\n")
        try package.write(
            "plugboard-codegen.json",
            """
            { "importPaths": ["Protos"], "sets": [ { "protos": ["bad/v1/bad.proto"], "swiftTarget": "Sources/Bad" } ] }
            """)
        let run = try package.generate()
        #expect(run.status != 0)
        #expect(run.errors.contains("sets[0]: protoc failed"))
        #expect(run.errors.contains("bad/v1/bad.proto:4:3: field bad.v1.M.limit is a proto3 `optional` field"))
        #expect(!package.exists("Sources"))
    }

    @Test("a file in the way that the tool did not write and that is not generated code: refused")
    func refusesToOverwriteHandwrittenFiles() throws {
        let package = try ScratchPackage()
        try package.write("Protos/inventory/v1/inventory.proto", Self.inventory)
        try package.write("plugboard-codegen.json", Self.oneSet)
        try package.write("Sources/Inventory/inventory.pb.swift", "// my own Swift\n")
        let run = try package.generate()
        #expect(run.status != 0)
        #expect(run.errors.contains("Sources/Inventory/inventory.pb.swift exists, was not written by this tool"))
        #expect(package.read("Sources/Inventory/inventory.pb.swift") == "// my own Swift\n")
        #expect(!package.exists("Sources/CInventoryV1"))
    }

    @Test("an output folder written from another config: refused")
    func otherConfigsFolder() throws {
        let package = try ScratchPackage()
        try package.write("Protos/inventory/v1/inventory.proto", Self.inventory)
        try package.write("plugboard-codegen.json", Self.oneSet)
        try package.write("other.json", Self.oneSet)
        #expect(try package.generate().status == 0)
        let run = try package.generate(["--config", "other.json"])
        #expect(run.status != 0)
        #expect(run.errors.contains("holds the output of plugboard-codegen.json"))
    }

    @Test(
        "config mistakes are named",
        arguments: [
            (
                #"{ "sets": [ { "protos": ["a.proto"], "cTraget": "Sources/CA" } ] }"#,
                #"sets[0]: unknown key "cTraget""#
            ),
            (
                #"{ "sets": [ { "protos": ["../a.proto"], "cTarget": "Sources/CA" } ] }"#,
                #"must be a relative path ending in .proto"#
            ),
            (#"{ "sets": [ { "protos": ["a.proto"] } ] }"#, "sets[0] has neither cTarget nor swiftTarget"),
            (
                #"{ "sets": [ { "protos": ["a.proto"], "swiftTarget": "../Elsewhere" } ] }"#,
                "sets[0].swiftTarget must be a folder path"
            ),
            (#"{ "sets": [ { "protos": ["a.proto"], "cTarget": "Sources/C-A" } ] }"#, "give \"cModule\""),
            (
                #"{ "sets": [ { "protos": ["a.proto"], "cTarget": "Sources/CA", "swiftTarget": "Sources/CA/Swift" } ] }"#,
                "is inside output folder Sources/CA"
            ),
            (
                #"{ "sets": [ { "protos": ["a.proto"], "cTarget": "Sources/CA" }, { "protos": ["a.proto"], "cTarget": "Sources/CB" } ] }"#,
                "sets[0] and sets[1] both compile a.proto to C"
            ),
            (
                #"{ "importPaths": ["Protos"], "sets": [ { "protos": ["missing.proto"], "cTarget": "Sources/CA" } ] }"#,
                "sets[0]: missing.proto is in none of the import paths (Protos, "
            ),
            (#"{ "sets": [] }"#, "\"sets\" must be a non-empty array"),
        ]
    )
    func configErrors(config: String, message: String) throws {
        let package = try ScratchPackage()
        try package.write("Protos/a.proto", "syntax = \"proto3\";\npackage a;\nmessage A {}\n")
        try package.write(
            "plugboard-codegen.json",
            config.replacingOccurrences(of: "{ \"sets\"", with: "{ \"importPaths\": [\"Protos\"], \"sets\""))
        let run = try package.generate()
        #expect(run.status != 0)
        #expect(run.errors.contains(message), "\(run.errors)")
        #expect(!package.exists("Sources"))
    }

    @Test("--list-outputs prints the output folders, generating nothing")
    func listOutputs() throws {
        let package = try ScratchPackage()
        try package.write("Protos/inventory/v1/inventory.proto", Self.inventory)
        try package.write("plugboard-codegen.json", Self.oneSet)
        let run = try package.generate(["--list-outputs"], path: "/nonexistent")
        #expect(run.status == 0, "\(run.errors)")
        #expect(run.output == "Sources/CInventoryV1\nSources/Inventory\n")
        #expect(!package.exists("Sources"))
    }
}
