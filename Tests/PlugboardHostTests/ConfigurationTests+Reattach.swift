import Foundation
import PlugboardConfig
import PlugboardCore
import PlugboardHost
import Testing

extension ConfigurationTests {
    @Test(
        "`reattach` attaches to a running plugin: every field, kill_on_stop optional, the file's auto_mtls not applied")
    func reattach() throws {
        let (result, _) = try self.load(
            """
            auto_mtls: true
            plugins:
              limiter:
                path: ok-plugin
                reattach: { pid: 4242, address: /tmp/plugboard-x1/plugin-4242.sock, protocol: grpc, version: 2, kill_on_stop: true }
              other:
                path: ok-plugin
            """)
        let plugins = try result.get().plugins
        #expect(
            plugins[0].spec.reattach
                == ReattachRecord(
                    pid: 4242, socketPath: "/tmp/plugboard-x1/plugin-4242.sock", appProtocolVersion: 2, killOnStop: true
                ))
        #expect(!plugins[0].spec.autoMTLS, "a plugin started by hand gets no certificate")
        #expect(plugins[1].spec.reattach == nil && plugins[1].spec.autoMTLS)
    }

    @Test(
        "`reattach` mistakes name the file and line",
        arguments: [
            ("{ pid: 1, address: /tmp/s, protocol: grpc }", 4, "has no `version`"),
            ("{ pid: 1, address: /tmp/s, protocol: grpc, version: 1, kill: true }", 4, "unknown key `kill`"),
            ("{ pid: -3, address: /tmp/s, protocol: grpc, version: 1 }", 4, "`pid` must be a whole number above 0"),
            ("{ pid: 1, address: s.sock, protocol: grpc, version: 1 }", 4, "`address` must be the absolute path"),
            ("{ pid: 1, address: /tmp/s, protocol: netrpc, version: 1 }", 4, "`protocol` must be grpc, not \"netrpc\""),
            (
                "{ pid: 1, address: /tmp/s, protocol: grpc, version: one }", 4,
                "`version` must be a whole number above 0"
            ),
            (
                "{ pid: 1, address: /tmp/s, protocol: grpc, version: 1, kill_on_stop: maybe }", 4,
                "`kill_on_stop` must be true or false"
            ),
            ("[1, 2]", 4, "must be a mapping"),
        ])
    func reattachMistakes(mapping: String, line: Int, phrase: String) throws {
        let (result, file) = try self.load(
            """
            plugins:
              limiter:
                path: ok-plugin
                reattach: \(mapping)
            """)
        guard case .failure(let error) = result else {
            Issue.record("loaded a `reattach` of \(mapping)")
            return
        }
        #expect(error.code == .invalidConfiguration)
        #expect(error.message.hasPrefix("\(file):\(line): "), "\(error.message)")
        #expect(error.message.contains(phrase), "\(phrase.debugDescription) in \(error.message)")
    }

    @Test("a plugin's own `auto_mtls: true` cannot go with `reattach`")
    func reattachWithAutoMTLS() throws {
        let (result, file) = try self.load(
            """
            plugins:
              limiter:
                path: ok-plugin
                auto_mtls: true
                reattach: { pid: 1, address: /tmp/s, protocol: grpc, version: 1 }
            """)
        guard case .failure(let error) = result else {
            Issue.record("loaded auto_mtls with reattach")
            return
        }
        #expect(
            error.message.hasPrefix("\(file):4: ") && error.message.contains("cannot be combined with `reattach`"),
            "\(error.message)")
    }
}
