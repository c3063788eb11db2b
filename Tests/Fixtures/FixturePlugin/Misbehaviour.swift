import Foundation
import PlugboardCore

#if canImport(Glibc)
import Glibc
#endif

/// Helpers for the modes that attack the host's process handling.
enum Misbehaviour {
    /// Answers `--describe` like a real plugin (so `plugboard run` gets past its catalog), then
    /// returns to misbehave when started for real.
    static func describeIfAsked(_ name: String) {
        guard CommandLine.arguments.dropFirst().contains(PluginDescription.argument) else { return }
        let description = PluginDescription(
            name: name, version: "0.1.0",
            serviceSets: [
                ServiceSetDescription(
                    name: "\(name)-\(getpid())", version: "1.0.0", services: ["plugboard.test.v1.Echo"])
            ],
            appProtocolVersions: [1]
        )
        let json = (try? JSONEncoder().encode(description)) ?? Data()
        FileHandle.standardOutput.write(json + Data("\n".utf8))
        exit(0)
    }

    /// Starts `arguments` as a child that inherits stdout and stderr (and so holds the host's
    /// pipes), in this process's group unless it calls setsid itself; records its pid.
    @discardableResult
    static func startChild(_ arguments: [String]) -> Int32 {
        let argv = arguments.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, arguments[0], nil, nil, argv, environ)
        guard result == 0 else {
            FileHandle.standardError.write(
                Data("plugboard-fixture: cannot start \(arguments[0]): \(String(cString: strerror(result)))\n".utf8))
            exit(2)
        }
        self.record(pid)
        return pid
    }

    /// Appends `pid` to the file named by FIXTURE_PID_FILE, if set, for the test to check later.
    static func record(_ pid: Int32) {
        self.append(Int(pid), toFileNamedIn: "FIXTURE_PID_FILE")
    }

    /// Appends `number` as a line to the file named by the environment variable `variable`, if set.
    static func append(_ number: Int, toFileNamedIn variable: String) {
        guard let path = ProcessInfo.processInfo.environment[variable] else { return }
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard fd >= 0 else { return }
        let line = "\(number)\n"
        _ = line.withCString { write(fd, $0, strlen($0)) }
        close(fd)
    }
}
