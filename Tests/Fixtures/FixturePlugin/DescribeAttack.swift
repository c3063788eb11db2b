import Foundation
import PlugboardCore

#if canImport(Glibc)
import Glibc
#endif

/// Modes that misbehave when run with `--describe`, for the host's describer (`plugboard check`,
/// the catalog before `plugboard run`). A host runs `--describe` with nothing but PATH in the
/// environment, so the file that receives the pids of the processes started is the argument
/// after the mode.
enum DescribeAttack {
    static func run(_ mode: String) -> Never {
        let arguments = Array(CommandLine.arguments.dropFirst(2)).filter { $0 != PluginDescription.argument }
        let pidFile = arguments.first
        switch mode {
        case "describe-flood":
            // Endless output, as a plugin stuck in a loop printing would give.
            let line = Array((String(repeating: "flood ", count: 170) + "\n").utf8)
            while true {
                let written = line.withUnsafeBytes { write(1, $0.baseAddress, $0.count) }
                if written < 0 && errno != EINTR { exit(1) }
            }
        case "describe-fork":
            // A daemon that escapes the process group keeps stdout and stderr; the description
            // itself is fine and the plugin exits 0.
            Self.startDaemon(recordingIn: pidFile)
            Misbehaviour.describeIfAsked(mode)
            exit(0)
        default:  // describe-hang: the same daemon, and the plugin never answers
            Self.startDaemon(recordingIn: pidFile)
            while true { sleep(60) }
        }
    }

    /// `setsid sleep 60`, holding this process's stdout and stderr; its pid goes to `pidFile`.
    private static func startDaemon(recordingIn pidFile: String?) {
        let pid = Misbehaviour.startChild(["/usr/bin/setsid", "/usr/bin/sleep", "60"])
        guard let pidFile else { return }
        try? Data("\(pid)\n".utf8).write(to: URL(fileURLWithPath: pidFile))
    }
}
