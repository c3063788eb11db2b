import Foundation
import GRPCCore
import PlugboardCore
import PlugboardHost
import RateLimitServiceSet
import Testing

/// What plugins say about themselves (`--describe`) is checked before any of them starts.
@Suite("Plugin discovery and descriptions", .timeLimit(.minutes(1)))
struct CatalogTests {
    let scratch = ScratchFolder("plugboard-catalog")

    /// A stand-in plugin: a shell script that prints `json` for --describe.
    func describing(_ json: String, name: String) throws -> PluginSpec {
        let path = try self.scratch.folder().appendingPathComponent(name).path
        try TestEnvironment.writeFile(path, Data("#!/bin/sh\ncat <<'JSON'\n\(json)\nJSON\n".utf8))
        return PluginSpec(path: path)
    }

    func description(_ sets: [String], versions: [Int] = [1]) -> String {
        let list = sets.map { "{\"name\": \"\($0)\", \"version\": \"1.0.0\", \"services\": [\"\($0).v1.S\"]}" }.joined(separator: ", ")
        return "{\"name\": \"p\", \"version\": \"1.0.0\", \"serviceSets\": [\(list)], \"appProtocolVersions\": \(versions)}"
    }

    @Test("the fixture plugin describes itself through the SDK")
    func realDescription() async throws {
        let description = try await PluginDescriber.describe(PluginSpec(path: TestEnvironment.fixturePath))
        #expect(description.name == "plugboard-fixture")
        #expect(description.serviceSets.map(\.name) == ["echo", "ratelimit"])
        #expect(description.appProtocolVersions == [1])
    }

    @Test("two plugins claiming the same service set are refused")
    func conflict() async throws {
        let first = try self.describing(self.description(["ratelimit"]), name: "first")
        let second = try self.describing(self.description(["stream", "ratelimit"]), name: "second")
        let error = await #expect(throws: PluginError.self) { try await PluginCatalog.load([first, second]) }
        #expect(error?.code == .serviceSetConflict, "\(error.map { "\($0)" } ?? "")")
        #expect(error?.message.contains("\"ratelimit\"") == true && error?.message.contains(first.path) == true)
    }

    @Test("a plugin with no service set, or only versions the host cannot speak, is refused")
    func unusable() async throws {
        let none = await #expect(throws: PluginError.self) { try await PluginCatalog.load([try self.describing(self.description([]), name: "none")]) }
        #expect(none?.code == .noServiceSets)
        let future = await #expect(throws: PluginError.self) { try await PluginCatalog.load([try self.describing(self.description(["x"], versions: [7]), name: "future")]) }
        #expect(future?.code == .appVersionUnsupported)
        let garbage = await #expect(throws: PluginError.self) { try await PluginCatalog.load([try self.describing("not json", name: "garbage")]) }
        #expect(garbage?.code == .invalidDescription)
        #expect(garbage?.message.contains("not json") == true)
    }

    @Test("a checksum mismatch stops the plugin before it runs")
    func checksum() async throws {
        var spec = try self.describing(self.description(["x"]), name: "tampered")
        spec.sha256 = String(repeating: "0", count: 64)
        let error = await #expect(throws: PluginError.self) { try await PluginDescriber.describe(spec) }
        #expect(error?.code == .checksumMismatch)
        #expect(error?.executablePath == spec.path)
    }

    @Test("a description that lies: the first call gets UNIMPLEMENTED naming the plugin and the service")
    func lyingDescription() async throws {
        let (logger, _) = TestEnvironment.capturingLogger()
        let spec = TestEnvironment.fixture("echo")
        try await PluginHost.withPlugin(spec, logger: logger) { plugin in
            let limiter = Ratelimit_V1_RateLimiter.Client(wrapping: plugin.client)
            let error = await #expect(throws: RPCError.self) { try await limiter.check(.with { $0.resource = "r" }) }
            #expect(error?.code == .unimplemented)
            #expect(error?.message.contains("plugin \"\(spec.name)\"") == true)
            #expect(error?.message.contains("ratelimit.v1.RateLimiter/Check") == true)
        }
    }
}
