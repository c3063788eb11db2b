import Foundation
import PlugboardSystem

/// This process's open file descriptors, threads and resident memory, from `/proc/self`.
struct ProcessResources: Sendable {
    /// What each open descriptor is, by kind: `socket`, `pipe`, `anon_inode:[eventpoll]`, or the
    /// file's path.
    var descriptorKinds: [String]
    var threads: Int
    var residentKilobytes: Int

    var fileDescriptors: Int { self.descriptorKinds.count }

    static func sample() -> ProcessResources {
        let status = ProcessStatus(of: "self")
        return ProcessResources(
            descriptorKinds: Self.descriptorKinds(), threads: status?["Threads"] ?? -1,
            residentKilobytes: status?["VmRSS"] ?? -1)
    }

    /// The descriptors open here and not in `earlier`, by kind (`["socket", "pipe"]`): what a run
    /// left open.
    func descriptorsAdded(since earlier: ProcessResources) -> [String] {
        var remaining = earlier.descriptorKinds
        return self.descriptorKinds.filter { kind in
            guard let index = remaining.firstIndex(of: kind) else { return true }
            remaining.remove(at: index)
            return false
        }
    }

    /// A sample taken once the descriptors (by kind) and the thread count have held still for
    /// 300 ms (at most 5 s): right after a restart, the dead instance's pipes, sockets and reaper
    /// may still be closing and the new one's brokered connection may not be open yet.
    static func settledSample() async throws -> ProcessResources {
        var last = sample()
        var unchanged = 0
        for _ in 0..<100 where unchanged < 6 {
            try await Task.sleep(for: .milliseconds(50))
            let next = sample()
            unchanged = (next.descriptorKinds, next.threads) == (last.descriptorKinds, last.threads) ? unchanged + 1 : 0
            last = next
        }
        return last
    }

    /// The kinds of the descriptors in `/proc/self/fd`. The one that listed the directory is
    /// closed by the time its link is read, so it is not counted.
    private static func descriptorKinds() -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        return names.compactMap { name in
            guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\(name)")
            else { return nil }
            // "socket:[81234]" and "pipe:[81235]": the inode says nothing across samples.
            return target.hasPrefix("socket:") ? "socket" : target.hasPrefix("pipe:") ? "pipe" : target
        }.sorted()
    }
}
