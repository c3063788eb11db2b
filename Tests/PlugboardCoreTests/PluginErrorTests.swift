import PlugboardCore
import Testing

@Suite("PluginError")
struct PluginErrorTests {
    struct Cause: Error, CustomStringConvertible {
        var description: String { "ECONNREFUSED" }
    }

    @Test("the description names code, plugin, path, pid, termination, stderr and cause")
    func description() {
        var error = PluginError.exitedBeforeHandshake(.exited(1), stderrTail: ["boom", "line \"two\""])
            .withContext(pluginName: "kv", executablePath: "/usr/libexec/kv-plugin", pid: 4242)
        error.cause = Cause()
        let text = error.description
        #expect(text.hasPrefix("exitedBeforeHandshake: plugin \"kv\" (/usr/libexec/kv-plugin, pid 4242): Expected"))
        #expect(text.contains("The plugin ended with exit status 1."))
        #expect(text.contains("Its stderr: \"boom\" / \"line \\\"two\\\"\""))
        #expect(text.hasSuffix("(cause: ECONNREFUSED)"))
        #expect(!text.contains("\n"))
    }

    @Test("the description works without context")
    func descriptionWithoutContext() {
        let error = PluginError(code: .stopped, message: "Gone.")
        #expect(error.description == "stopped: plugin: Gone.")
    }

    @Test("only the newest stderr lines are shown")
    func stderrTail() {
        let error = PluginError(code: .startTimeout, message: "x", stderrTail: (1...15).map { "line \($0)" })
        #expect(error.description.contains("Its last 10 stderr lines: \"line 6\""))
        #expect(!error.description.contains("\"line 5\""))
    }

    @Test(
        "signals are named",
        arguments: [(Int32(9), "signal 9 (SIGKILL)"), (15, "signal 15 (SIGTERM)"), (64, "signal 64")])
    func signalNames(signal: Int32, text: String) {
        #expect(PluginError.Termination.signaled(signal).description == text)
    }

    @Test("equality uses code and message only")
    func equality() {
        let plain = PluginError(code: .startTimeout, message: "m")
        let withContext = PluginError(code: .startTimeout, message: "m", pluginName: "kv", pid: 1, cause: Cause())
        #expect(plain == withContext)
        #expect(plain.hashValue == withContext.hashValue)
        #expect(plain != PluginError(code: .stopped, message: "m"))
        #expect(plain != PluginError(code: .startTimeout, message: "n"))
    }

    @Test("withContext keeps what it is not given")
    func withContext() {
        let error = PluginError(code: .stopped, message: "m", pluginName: "kv", pid: 7)
            .withContext(executablePath: "/bin/kv")
        #expect(error.pluginName == "kv")
        #expect(error.pid == 7)
        #expect(error.executablePath == "/bin/kv")
    }

    @Test("codes are distinct and describe themselves")
    func codes() {
        let codes: [PluginError.Code] = [
            .invalidHandshake, .outputBeforeHandshake, .handshakeTooLong, .coreVersionMismatch,
            .appVersionUnsupported, .netRPCRefused, .unsupportedProtocol, .unsupportedNetwork, .unknownNetwork,
            .socketPathMissing, .socketPathInvalid, .invalidServerCertificate, .invalidMultiplexField,
            .executableNotFound, .notExecutable, .wrongArchitecture, .launchFailed, .checksumMismatch,
            .cookieMismatch, .cookieNotConfigured, .exitedBeforeHandshake, .startTimeout, .connectionFailed,
            .exitedUnexpectedly, .shutdownTimeout, .stopped, .invalidClientCertificate, .plaintextServer,
            .unexpectedServerCertificate, .tlsHandshakeFailed, .invalidReattach, .processNotFound,
        ]
        #expect(Set(codes).count == codes.count)
        #expect(Set(codes.map(\.description)).count == codes.count)
        #expect(PluginError.Code.netRPCRefused.description == "netRPCRefused")
    }

    @Test("lifecycle factories set their code and context")
    func factories() {
        #expect(PluginError.startTimeout(after: .seconds(60)).message.contains("60"))
        #expect(PluginError.notExecutable(path: "/p", reason: "mode 0644").executablePath == "/p")
        #expect(
            PluginError.wrongArchitecture(path: "/p", found: "ELF aarch64", expected: "ELF x86-64").code
                == .wrongArchitecture)
        #expect(PluginError.executableNotFound(path: "/p").code == .executableNotFound)
        #expect(PluginError.shutdownTimeout(after: .seconds(2)).code == .shutdownTimeout)
        #expect(PluginError.handshakeTooLong(limit: 65536).message.contains("65536"))
        #expect(PluginError.stopped(reason: "the host").code == .stopped)
        #expect(PluginError.exitedBeforeHandshake(.signaled(9)).termination == .signaled(9))
    }
}
