/// A process's (or one of its threads') `/proc/.../status`, the one place Plugboard reads it:
/// its numeric fields by name (`VmRSS` and `VmHWM` in KiB, `Threads`, `voluntary_ctxt_switches`).
package struct ProcessStatus {
    private let text: String

    /// The status of `process`: a pid, `self`, or `PID/task/TID` for a thread. `nil` when it is gone.
    package init?(of process: String) {
        guard let text = SystemCall.readFile("/proc/\(process)/status") else { return nil }
        self.text = text
    }

    /// The number in the field `name`, or `nil` if there is no such field.
    package subscript(_ name: String) -> Int? {
        let prefix = name + ":"
        guard let line = self.text.split(separator: "\n").first(where: { $0.hasPrefix(prefix) }) else { return nil }
        return line.dropFirst(prefix.count).split(whereSeparator: { $0 == " " || $0 == "\t" }).first.flatMap { Int($0) }
    }
}
