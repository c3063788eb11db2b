import Synchronization

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

#if canImport(Glibc)
import Glibc
#endif

/// A cgroup v2 of one plugin's process tree, under the host's own cgroup: the whole tree, a
/// `setsid` daemon included, is killed at once through `cgroup.kill`. Available where the host may
/// create cgroups (a delegated subtree, or root) on a kernel with `cgroup.kill` (5.14+); elsewhere
/// ``create()`` says why, and the plugin's process group is all there is.
final class PluginCgroup: Sendable {
    /// The cgroup's directory.
    let path: String

    private init(path: String) { self.path = path }

    /// A new empty cgroup for one plugin, or why there is none.
    static func create() -> Result<PluginCgroup, Unavailable> {
        let parent: String
        switch Self.parent {
        case .success(let path): parent = path
        case .failure(let reason): return .failure(reason)
        }
        let number = Self.counter.add(1, ordering: .relaxed).newValue
        let path = "\(parent)/plugboard-\(getpid())-\(number)"
        guard mkdir(path, 0o755) == 0 else {
            return .failure(Unavailable(reason: "cannot create \(path): \(String(cString: strerror(errno)))"))
        }
        guard access("\(path)/cgroup.kill", W_OK) == 0 else {
            rmdir(path)
            return .failure(Unavailable(reason: "\(path) has no writable cgroup.kill (Linux 5.14 or later has it)"))
        }
        return .success(PluginCgroup(path: path))
    }

    /// Why a plugin runs without a cgroup of its own.
    struct Unavailable: Error, CustomStringConvertible {
        var reason: String
        var description: String { self.reason }
    }

    /// SIGKILLs every process in the cgroup, and every process they start meanwhile.
    func kill() {
        Self.write("1", to: "\(self.path)/cgroup.kill")
    }

    /// Removes the cgroup if it is empty, as it is once a plugin that left nothing behind is
    /// reaped: one `rmdir`, which a populated cgroup refuses (EBUSY).
    func removeIfEmpty() -> Bool {
        rmdir(self.path) == 0 || errno == ENOENT
    }

    /// Removes the cgroup; if anything is left in it (a daemon the plugin started), kills it
    /// first and waits up to `timeout` for the cgroup to empty.
    func remove(timeout: Duration = .seconds(2)) {
        if self.removeIfEmpty() { return }
        self.kill()
        let start = ContinuousClock.now
        while self.isPopulated, ContinuousClock.now - start < timeout { usleep(5_000) }
        rmdir(self.path)
    }

    private var isPopulated: Bool {
        guard let events = try? String(contentsOfFile: "\(self.path)/cgroup.events", encoding: .utf8) else {
            return false
        }
        return events.split(separator: "\n").contains("populated 1")
    }

    private static let counter = Atomic<Int>(0)

    /// The host's own cgroup v2 directory, found once; stale plugin cgroups of hosts that died
    /// there are killed and removed on the way.
    private static let parent: Result<String, Unavailable> = {
        guard
            let line = (try? String(contentsOfFile: "/proc/self/cgroup", encoding: .utf8))?
                .split(separator: "\n").first(where: { $0.hasPrefix("0::") })
        else {
            return .failure(
                Unavailable(reason: "the host is in no cgroup v2 hierarchy (/proc/self/cgroup has no 0:: line)"))
        }
        let relative = String(line.dropFirst(3))
        guard let mount = PluginCgroup.cgroup2Mount() else {
            return .failure(Unavailable(reason: "no cgroup2 file system is mounted"))
        }
        let path = relative == "/" ? mount : mount + relative
        guard access(path, W_OK) == 0 else {
            return .failure(Unavailable(reason: "the host's cgroup \(path) is not writable"))
        }
        PluginCgroup.sweepStale(in: path)
        return .success(path)
    }()

    /// The mount point of the cgroup2 file system mounted at its root, from /proc/self/mountinfo.
    private static func cgroup2Mount() -> String? {
        guard let text = try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") {
            // "36 25 0:31 / /sys/fs/cgroup/unified rw,… - cgroup2 cgroup2 rw,…"
            let halves = line.split(separator: " - ", maxSplits: 1)
            guard halves.count == 2, halves[1].hasPrefix("cgroup2 ") else { continue }
            let fields = halves[0].split(separator: " ")
            guard fields.count > 4, fields[3] == "/" else { continue }
            return String(fields[4])
        }
        return nil
    }

    /// Kills and removes `plugboard-<pid>-<n>` cgroups whose host is gone (a host that was
    /// SIGKILLed cannot clean up after itself; its plugins' own children may still run there).
    private static func sweepStale(in parent: String) {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: parent)) ?? []
        for name in names where name.hasPrefix("plugboard-") {
            let parts = name.split(separator: "-")
            guard parts.count == 3, let host = Int32(parts[1]), host != getpid(), Glibc.kill(host, 0) != 0,
                errno == ESRCH
            else { continue }
            PluginCgroup(path: "\(parent)/\(name)").remove(timeout: .milliseconds(200))
        }
    }

    private static func write(_ text: String, to path: String) {
        let fd = open(path, O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { return }
        _ = text.withCString { Glibc.write(fd, $0, strlen($0)) }
        close(fd)
    }
}
