import Foundation
import InMemoryLogging
import Logging
import PlugboardHost
import PlugboardSystem

#if canImport(Glibc)
import Glibc
#endif

/// Paths and helpers shared by the process-level tests.
enum TestEnvironment {
    /// The folder holding this test binary and the package's executables (`swift build` products).
    static let binDirectory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().path
    /// The package root.
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    static var fixturePath: String { "\(binDirectory)/plugboard-fixture" }

    /// The Go peers, built by `make test` (Tests/Interop/go/build.sh) into .build/go.
    static func goPeer(_ name: String) throws -> String {
        let path = "\(packageRoot)/.build/go/\(name)"
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw MissingPeer(
                description:
                    "\(path) is missing: run `make test`, which builds the Go peers with Tests/Interop/go/build.sh")
        }
        return path
    }

    struct MissingPeer: Error, CustomStringConvertible { var description: String }

    /// A spec for the fixture plugin in `mode`, with a name unique to this test run.
    static func fixture(_ mode: String, startTimeout: Duration = .seconds(20)) -> PluginSpec {
        PluginSpec(
            path: fixturePath, name: "fixture-\(mode)-\(UInt32.random(in: 0...UInt32.max))", arguments: [mode],
            startTimeout: startTimeout)
    }

    /// A logger that keeps every entry, at every level, for assertions.
    static func capturingLogger() -> (Logger, InMemoryLogHandler) {
        let handler = InMemoryLogHandler()
        var logger = Logger(label: "plugboard.test") { _ in handler }
        logger.logLevel = .trace
        return (logger, handler)
    }

    /// Whether a process with this pid exists (zombies included: only reaped processes are gone).
    static func processExists(_ pid: Int32) -> Bool {
        kill(pid, 0) == 0 || errno == EPERM
    }

    /// Socket directories the host made for `name` that still exist.
    static func leftoverDirectories(for name: String) -> [String] {
        let base = SocketDirectoryBase.path(for: ProcessInfo.processInfo.environment)
        let prefix = "plugboard-\(getpid())-" + String(name.prefix(24)) + "-"
        return ((try? FileManager.default.contentsOfDirectory(atPath: base)) ?? []).filter { $0.hasPrefix(prefix) }
    }
}

extension TestEnvironment {
    /// Runs blocking work (reading a child's pipe, waiting for it to exit) on a thread of its own,
    /// so it never holds one of the few threads that every test's async work shares.
    static func offThePool<Result: Sendable>(_ work: @escaping @Sendable () throws -> Result) async throws -> Result {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread { continuation.resume(with: Swift.Result { try work() }) }
        }
    }
}

extension Process {
    /// Starts the process with piped stdout and stderr, and returns both once it has exited. The
    /// reading and waiting happen off the shared thread pool.
    func outputs() async throws -> (stdout: Data, stderr: Data) {
        let stdout = Pipe()
        let stderr = Pipe()
        self.standardOutput = stdout
        self.standardError = stderr
        try self.run()
        return try await TestEnvironment.offThePool {
            let errors = Locked(Data())
            let errorsRead = DispatchSemaphore(value: 0)
            Thread.detachNewThread {
                errors.withLock { $0 = stderr.fileHandleForReading.readDataToEndOfFile() }
                errorsRead.signal()
            }
            let output = stdout.fileHandleForReading.readDataToEndOfFile()
            self.waitUntilExit()
            errorsRead.wait()
            return (output, errors.withLock { $0 })
        }
    }
}

/// A folder under the temporary directory, removed with everything in it when the last reference
/// goes: a suite that keeps one as a property cleans up after each test.
final class ScratchFolder: Sendable {
    let url: URL

    init(_ prefix: String) {
        self.url = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID())")
        try? FileManager.default.createDirectory(at: self.url, withIntermediateDirectories: true)
    }

    /// A new empty folder inside this one.
    func folder() throws -> URL {
        let folder = self.url.appendingPathComponent(UUID().uuidString)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder
    }

    deinit { try? FileManager.default.removeItem(at: self.url) }
}

extension TestEnvironment {
    /// Writes a file that tests then execute. It is opened close-on-exec: a descriptor that a
    /// plugin spawned meanwhile by a parallel test inherited would keep the file busy (ETXTBSY)
    /// for as long as that plugin runs. `FileManager.createFile` does not set the flag.
    static func writeFile(_ path: String, _ contents: Data, mode: mode_t = 0o755) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
        guard fd >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        defer { close(fd) }
        let written = contents.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        guard written == contents.count else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        fchmod(fd, mode)  // exactly `mode`, whatever the umask
    }
}
