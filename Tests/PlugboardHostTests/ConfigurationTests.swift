import Foundation
import PlugboardConfig
import PlugboardCore
import PlugboardHost
import Testing

/// Every configuration mistake names the file and the line, and nothing starts.
@Suite("The host's configuration file")
struct ConfigurationTests {
    /// Writes `yaml` to a fresh folder (with an executable `ok-plugin` beside it) and loads it.
    let scratch = ScratchFolder("plugboard-config")

    func load(_ yaml: String) throws -> (Result<HostConfiguration, PluginError>, String) {
        let folder = try self.scratch.folder()
        try TestEnvironment.writeFile(folder.appendingPathComponent("ok-plugin").path, Data("#!/bin/sh\n".utf8))
        let file = folder.appendingPathComponent("plugboard.yaml").path
        try yaml.write(toFile: file, atomically: true, encoding: .utf8)
        return (Result { () throws(PluginError) in try HostConfiguration.load(path: file) }, file)
    }

    /// The SHA-256 of `ok-plugin` ("#!/bin/sh\n").
    static let okPluginSHA256 = "a8076d3d28d21e02012b20eaf7dbf75409a6277134439025f282e368e3305abf"

    @Test("a valid file gives specs with every field")
    func valid() throws {
        let (result, file) = try self.load(
            """
            plugins:
              limiter:
                path: ok-plugin
                arguments: ["--verbose"]
                environment: { MODE: fast }
                required: true
                start_timeout: 2.5
                sha256: \(Self.okPluginSHA256)
                supervision:
                  max_failures: 3
                  failure_window: 30
                  initial_backoff: 0.25
                  max_backoff: 4
                  health_interval: 1
                  health_timeout: 0.5
                  call_deadline: 2
            """)
        let configuration = try result.get()
        let plugin = try #require(configuration.plugins.first)
        #expect(plugin.spec.name == "limiter")
        #expect(
            plugin.spec.path
                == URL(fileURLWithPath: file).deletingLastPathComponent().appendingPathComponent("ok-plugin").path)
        #expect(plugin.spec.arguments == ["--verbose"] && plugin.spec.environment == ["MODE": "fast"])
        #expect(plugin.spec.startTimeout == .milliseconds(2500))
        #expect(plugin.spec.sha256 == Self.okPluginSHA256)
        #expect(plugin.line == 2)
        let policy = plugin.policy
        #expect(policy.maximumFailures == 3 && policy.failureWindow == .seconds(30))
        #expect(policy.initialBackoff == .milliseconds(250) && policy.maximumBackoff == .seconds(4))
        #expect(
            policy.healthInterval == .seconds(1) && policy.healthTimeout == .milliseconds(500)
                && policy.defaultDeadline == .seconds(2))
    }

    @Test("auto_mtls at the top is every plugin's default; a plugin's own key wins")
    func autoMTLS() throws {
        let (result, _) = try self.load(
            """
            auto_mtls: true
            plugins:
              inherits: { path: ok-plugin }
              declines: { path: ok-plugin, auto_mtls: false }
            """)
        let plugins = try result.get().plugins
        #expect(plugins.map(\.spec.autoMTLS) == [true, false])
        let (plain, _) = try self.load("plugins:\n  a: { path: ok-plugin }\n")
        #expect(try plain.get().plugins.first?.spec.autoMTLS == false, "off unless asked for, as in go-plugin")
    }

    @Test(
        "mistakes are refused with file, line and what to do",
        arguments: [
            (
                "plugins:\n  a:\n    path: ok-plugin\n    requred: true\n", 4, "unknown key `requred`",
                "did you mean `required`"
            ),
            ("plugin:\n  a: {}\n", 1, "unknown key `plugin`", "`plugins`"),
            ("auto_mtls: yes please\nplugins: {}\n", 1, "`auto_mtls` must be true or false", "yes please"),
            (
                "plugins:\n  a:\n    path: ok-plugin\n    start_timeout: soon\n", 4,
                "`start_timeout` must be a positive number of seconds", "soon"
            ),
            (
                "plugins:\n  a:\n    path: ok-plugin\n    arguments: --verbose\n", 4,
                "`arguments` must be a list of strings", ""
            ),
            (
                "plugins:\n  a:\n    path: ok-plugin\n    required: maybe\n", 4, "`required` must be true or false",
                "maybe"
            ),
            ("plugins:\n  a:\n    path: missing-plugin\n", 3, "no executable file at", "build it"),
            ("plugins:\n  a:\n    arguments: []\n", 3, "has no `path`", ""),
            ("plugins:\n  a:\n    path: ok-plugin\n    sha256: xyz\n", 4, "`sha256` must be 64 hexadecimal digits", ""),
            ("plugins: [1, 2\n", 1, "is not valid YAML", ""),
            (
                "plugins:\n  a:\n    path: ok-plugin\n    supervision:\n      max_failure: 3\n", 5,
                "unknown key `max_failure`", "did you mean `max_failures`"
            ),
            (
                "plugins:\n  a:\n    path: ok-plugin\n    supervision:\n      max_failures: 0\n", 5,
                "`max_failures` must be a whole number above 0", "0"
            ),
            (
                "plugins:\n  a:\n    path: ok-plugin\n    supervision: { initial_backoff: 5, max_backoff: 1 }\n", 4,
                "is longer than `max_backoff`", ""
            ),
            ("plugins:\n  a:\n    path: .\n", 3, "is a directory, not an executable file", "fix `path`"),
            (
                "plugins:\n  a:\n    path: ok-plugin\n    sha256: \(String(repeating: "ab", count: 32))\n", 4,
                "Expected the executable's SHA-256 to be abab", "update `sha256`"
            ),
        ])
    func mistakes(yaml: String, line: Int, problem: String, hint: String) throws {
        let (result, file) = try self.load(yaml)
        guard case .failure(let error) = result else {
            Issue.record("accepted: \(yaml)")
            return
        }
        #expect(error.code == .invalidConfiguration)
        #expect(error.message.contains("\(file):\(line):"), "\(error.message)")
        #expect(error.message.contains(problem), "\(error.message)")
        #expect(hint.isEmpty || error.message.contains(hint), "\(error.message)")
    }

    @Test(
        "durations no one means are errors with file and line, not traps or quarantines",
        arguments: [
            ("start_timeout: 1e300", 4, "`start_timeout`", "1e300"),
            ("start_timeout: .inf", 4, "`start_timeout`", ".inf"),
            ("start_timeout: .nan", 4, "`start_timeout`", ".nan"),
            ("start_timeout: 0.001", 4, "`start_timeout`", "0.01 to 3600"),
            ("supervision:\n      health_interval: 0.0000001", 5, "`health_interval`", "0.1 to 86400"),
            ("supervision:\n      health_interval: .inf", 5, "`health_interval`", ".inf"),
            ("supervision:\n      health_timeout: 1e20", 5, "`health_timeout`", "1e20"),
            ("supervision:\n      failure_window: -5", 5, "`failure_window`", "-5"),
            ("supervision:\n      initial_backoff: 0.0000001", 5, "`initial_backoff`", "0.001 to 3600"),
            ("supervision:\n      max_backoff: 1e300", 5, "`max_backoff`", "1e300"),
            ("supervision:\n      call_deadline: .inf", 5, "`call_deadline`", ".inf"),
        ])
    func durationRanges(field: String, line: Int, key: String, hint: String) throws {
        let (result, file) = try self.load("plugins:\n  a:\n    path: ok-plugin\n    \(field)\n")
        guard case .failure(let error) = result else {
            Issue.record("accepted: \(field)")
            return
        }
        #expect(error.code == .invalidConfiguration)
        #expect(error.message.contains("\(file):\(line):"), "\(error.message)")
        #expect(error.message.contains("\(key) must be a positive number of seconds"), "\(error.message)")
        #expect(error.message.contains(hint), "\(error.message)")
    }

    @Test("an alias bomb (10 levels of 1,000 aliases in 36 KB) is refused at once with file and line, not expanded")
    func aliasBomb() throws {
        var yaml = "plugins:\n  a:\n    path: ok-plugin\n    arguments:\n      - &a0 \"lol\"\n"
        for level in 1..<10 {
            yaml +=
                "      - &a\(level) [" + Array(repeating: "*a\(level - 1)", count: 1000).joined(separator: ",") + "]\n"
        }
        let started = ContinuousClock.now
        let (result, file) = try self.load(yaml)
        #expect(ContinuousClock.now - started < .seconds(10), "expanded, it would be 10^27 strings")
        guard case .failure(let error) = result else {
            Issue.record("accepted an alias bomb")
            return
        }
        #expect(
            error.message.contains("\(file):7: the alias *a1 takes the document past 100000 nodes"), "\(error.message)")
    }

    @Test("aliases as mapping keys, which Yams hashes once per path, are counted too")
    func aliasKeyBomb() throws {
        var yaml = "plugins:\n  a:\n    path: ok-plugin\n    environment:\n      k0: &m0 {a: 1, b: 2}\n"
        for level in 1..<30 { yaml += "      k\(level): &m\(level) {? *m\(level - 1) : 1, ? [*m\(level - 1)] : 2}\n" }
        let (result, file) = try self.load(yaml)
        guard case .failure(let error) = result else {
            Issue.record("accepted an alias bomb")
            return
        }
        #expect(error.message.contains("\(file):18: the alias *m12"), "\(error.message)")
    }

    @Test("a few aliases, as people use them, are fine")
    func aliasesInModeration() throws {
        let (result, _) = try self.load(
            "plugins:\n  a:\n    path: ok-plugin\n    environment: &env { MODE: fast }\n  b:\n    path: ok-plugin\n    environment: *env\n"
        )
        #expect(try result.get().plugins.map(\.spec.environment) == [["MODE": "fast"], ["MODE": "fast"]])
    }

    @Test(
        "arguments and environments that exec would refuse (E2BIG) are errors with file and line",
        arguments: [
            (
                "environment:\n      BIG: \"\(String(repeating: "x", count: 200 * 1024))\"", 5,
                "the environment entry BIG=… is 204804 bytes"
            ),
            ("arguments: [\"--a\", \"\(String(repeating: "x", count: 128 * 1024))\"]", 4, "argument 2 is 131072 bytes"),
            (
                "environment:\n"
                    + (0..<30).map { "      V\($0): \"\(String(repeating: "x", count: 100 * 1024))\"" }.joined(
                        separator: "\n"), 5,
                "its arguments and environment (with the host's own, which plugins inherit) take"
            ),
        ])
    func execSizes(field: String, line: Int, problem: String) throws {
        let (result, file) = try self.load("plugins:\n  a:\n    path: ok-plugin\n    \(field)\n")
        guard case .failure(let error) = result else {
            Issue.record("accepted")
            return
        }
        #expect(error.message.contains("\(file):\(line): plugin \"a\": \(problem)"), "\(error.message.prefix(300))")
        #expect(error.message.contains("E2BIG"))
    }

    @Test("a missing optional plugin is a warning, not an error")
    func optionalMissing() throws {
        let (result, file) = try self.load(
            "plugins:\n  gone:\n    path: missing-plugin\n    required: false\n  here:\n    path: ok-plugin\n")
        let configuration = try result.get()
        #expect(configuration.plugins.map(\.spec.name) == ["here"])
        #expect(
            configuration.warnings == [
                "\(file):3: plugin \"gone\": no executable file at \(URL(fileURLWithPath: file).deletingLastPathComponent().appendingPathComponent("missing-plugin").path); the optional plugin is skipped"
            ])
    }
}
