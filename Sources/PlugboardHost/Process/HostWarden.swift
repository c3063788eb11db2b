import CPlugboardSystem
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The host's warden (`CPlugboardSystem_startWarden`): a process, started with the first plugin,
/// that kills every plugin's process group and cgroup once the host is gone, even by SIGKILL. The
/// kernel's PR_SET_PDEATHSIG ends the plugin itself; the warden ends what the plugin started.
enum HostWarden {
    /// The host's end of the socket pair, or why there is no warden (then only the plugins
    /// themselves die with the host).
    private static let connection: Result<Int32, Unavailable> = {
        let fd = CPlugboardSystem_startWarden()
        return fd >= 0 ? .success(fd) : .failure(Unavailable(errno: errno))
    }()

    struct Unavailable: Error, CustomStringConvertible {
        var errno: Int32
        var description: String { "no warden: \(String(cString: strerror(self.errno)))" }
    }

    /// Asks the warden to kill `processGroup` (and the cgroup at `cgroup`) if the host dies.
    /// Returns why it cannot, if it cannot.
    static func watch(processGroup: Int32, cgroup: String?) -> Unavailable? {
        var record = CPlugboardSystem_WardenRecord()
        record.processGroup = processGroup
        record.watch = 1
        let killFile = Array(
            (cgroup.map { "\($0)/cgroup.kill" } ?? "").utf8.prefix(MemoryLayout.size(ofValue: record.cgroupKill) - 1))
        withUnsafeMutableBytes(of: &record.cgroupKill) { buffer in
            buffer.copyBytes(from: killFile)
            buffer[killFile.count] = 0
        }
        return Self.tell(record)
    }

    /// The host has reaped the plugin: its process group id may be reused from now on.
    static func forget(processGroup: Int32) {
        var record = CPlugboardSystem_WardenRecord()
        record.processGroup = processGroup
        record.watch = 0
        _ = Self.tell(record)
    }

    private static func tell(_ record: CPlugboardSystem_WardenRecord) -> Unavailable? {
        switch Self.connection {
        case .failure(let reason):
            return reason
        case .success(let fd):
            var record = record
            return CPlugboardSystem_tellWarden(fd, &record) == 0 ? nil : Unavailable(errno: errno)
        }
    }
}
