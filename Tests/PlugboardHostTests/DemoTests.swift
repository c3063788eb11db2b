import Foundation
import Testing

/// The owner's demo, end to end, from the release binaries that `make` puts in assets/.
@Suite("The demo", .timeLimit(.minutes(2)))
struct DemoTests {
    @Test("`plugboard demo` loads both plugins from assets/, shows checks and a two-way stream, and exits 0")
    func demo() async throws {
        let root = TestEnvironment.packageRoot
        let host = "\(root)/.build/release/plugboard"
        let assets = "\(root)/assets"
        try #require(
            FileManager.default.isExecutableFile(atPath: host), "run `make` (or `make test`) first: it builds \(host)")
        try #require(
            FileManager.default.isExecutableFile(atPath: "\(assets)/ratelimit-plugin"),
            "run `make` first: it builds the plugins into \(assets)")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: host)
        process.arguments = ["demo", "--assets", assets, "--log-level", "warning"]
        let output = String(decoding: try await process.outputs().stdout, as: UTF8.self)
        #expect(process.terminationStatus == 0, "\(output)")
        #expect(output.contains("rule set v1: applied"))
        #expect(output.contains("rule set v2: refused"))
        #expect(output.contains(": allowed,") && output.contains(": denied, retry after"))
        #expect(output.contains("← callback: plugin asked the host for key premium-7's tier → premium ×10"))
        #expect(
            output.contains("check api/orders premium-7 #8: allowed"),
            "the premium tier's ×10 outlasts the burst that client-a runs out of")
        #expect(output.contains("← ack #1 "))
        #expect(output.contains("← rejected #6 "))
        #expect(output.contains("← event "))
        #expect(output.contains("both plugins stopped gracefully"))
    }

    @Test(
        "the release plugins and host that `make` builds carry the Swift runtime: no libswift or Foundation library is loaded at start",
        arguments: ["assets/ratelimit-plugin", "assets/stream-plugin", ".build/release/plugboard"])
    func staticSwiftRuntime(binary: String) async throws {
        let path = "\(TestEnvironment.packageRoot)/\(binary)"
        try #require(FileManager.default.isExecutableFile(atPath: path), "run `make` first: it builds \(path)")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/readelf")
        process.arguments = ["--dynamic", path]
        let output = String(decoding: try await process.outputs().stdout, as: UTF8.self)
        let needed = output.split(separator: "\n").filter { $0.contains("(NEEDED)") }
        #expect(process.terminationStatus == 0 && needed.contains { $0.contains("libc.so") }, "\(output)")
        #expect(
            !needed.contains { $0.contains("libswift") || $0.contains("Foundation") || $0.contains("libdispatch") },
            "\(binary) loads the Swift runtime from shared libraries: build it with `swift build -c release --static-swift-stdlib`, as the Makefile does"
        )
    }
}
