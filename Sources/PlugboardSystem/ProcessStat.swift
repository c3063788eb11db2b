#if canImport(Glibc)
import Glibc
#endif

/// A process's `/proc/PID/stat`, the one place Plugboard reads it.
package enum ProcessStat {
    /// The fields after the process's name (which may hold spaces and parentheses), from its state
    /// (field 3) on: `[0]` is the state, `[1]` the parent's pid, `[11]` and `[12]` the user and
    /// system CPU time in clock ticks. `nil` when the process is gone.
    package static func fields(of pid: Int32) -> [Substring]? {
        guard let text = SystemCall.readFile("/proc/\(pid)/stat"), let nameEnd = text.lastIndex(of: ")") else {
            return nil
        }
        return text[text.index(after: nameEnd)...].split(separator: " ")
    }

    /// The parent of `pid`, or `nil` when the process is gone.
    package static func parent(of pid: Int32) -> Int32? {
        guard let fields = Self.fields(of: pid), fields.count > 1 else { return nil }
        return Int32(fields[1])
    }
}
