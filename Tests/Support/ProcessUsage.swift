import PlugboardSystem

#if canImport(Glibc)
import Glibc
#endif

/// The CPU time (user and system) and context switches a process has used so far: this one's
/// from `getrusage`, another's from `/proc` (its CPU time in clock ticks, 10 ms each, so a
/// benchmark's seconds of work read to about 1%).
public struct ProcessUsage: Sendable {
    public var cpu: Duration
    /// Voluntary and involuntary, over all threads.
    public var contextSwitches: Int

    /// This process's usage.
    public static var current: ProcessUsage {
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        let microseconds =
            (Int64(usage.ru_utime.tv_sec) + Int64(usage.ru_stime.tv_sec)) * 1_000_000
            + Int64(usage.ru_utime.tv_usec) + Int64(usage.ru_stime.tv_usec)
        return ProcessUsage(cpu: .microseconds(microseconds), contextSwitches: usage.ru_nvcsw + usage.ru_nivcsw)
    }

    /// The usage of process `pid`, or zero if it cannot be read.
    public static func of(_ pid: Int32) -> ProcessUsage {
        var usage = ProcessUsage(cpu: .zero, contextSwitches: 0)
        if let fields = ProcessStat.fields(of: pid), fields.count > 12, let user = Int64(fields[11]),
            let system = Int64(fields[12])
        {
            usage.cpu = .microseconds((user + system) * 1_000_000 / Int64(sysconf(Int32(_SC_CLK_TCK))))
        }
        usage.contextSwitches = Self.threadSwitches(of: pid)
        return usage
    }

    /// The other process's context switches, summed over its threads' `status`.
    private static func threadSwitches(of pid: Int32) -> Int {
        guard let tasks = opendir("/proc/\(pid)/task") else { return 0 }
        defer { closedir(tasks) }
        var total = 0
        while let entry = readdir(tasks) {
            let thread = withUnsafeBytes(of: entry.pointee.d_name) {
                String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self)
            }
            guard thread.first?.isNumber == true, let status = ProcessStatus(of: "\(pid)/task/\(thread)") else {
                continue
            }
            total += (status["voluntary_ctxt_switches"] ?? 0) + (status["nonvoluntary_ctxt_switches"] ?? 0)
        }
        return total
    }

    public static func - (lhs: ProcessUsage, rhs: ProcessUsage) -> ProcessUsage {
        ProcessUsage(cpu: lhs.cpu - rhs.cpu, contextSwitches: lhs.contextSwitches - rhs.contextSwitches)
    }
}
