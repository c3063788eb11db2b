#if canImport(Glibc)
import Glibc
#endif

/// A process's `/proc/PID/stat`, the one place Plugboard reads it.
package enum ProcessStat {
    /// The fields after the process's name (which may hold spaces and parentheses), from its state
    /// (field 3) on: `[0]` is the state, `[1]` the parent's pid, `[11]` and `[12]` the user and
    /// system CPU time in clock ticks. `nil` when the process is gone.
    package static func fields(of pid: Int32) -> [Substring]? {
        let fd = SystemCall.retrying { open("/proc/\(pid)/stat", O_RDONLY | O_CLOEXEC) }
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = []
        SystemCall.readToEnd(fd, chunkSize: 1024) { bytes += $0 }
        let text = String(decoding: bytes, as: UTF8.self)
        guard let nameEnd = text.lastIndex(of: ")") else { return nil }
        return text[text.index(after: nameEnd)...].split(separator: " ")
    }

    /// The parent of `pid`, or `nil` when the process is gone.
    package static func parent(of pid: Int32) -> Int32? {
        guard let fields = Self.fields(of: pid), fields.count > 1 else { return nil }
        return Int32(fields[1])
    }
}
