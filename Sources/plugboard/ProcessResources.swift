import Foundation
import PlugboardSystem

/// This process's open file descriptors, threads and resident memory, from `/proc/self`.
struct ProcessResources: Sendable, Codable {
    var fileDescriptors: Int
    var threads: Int
    var residentKilobytes: Int

    static func sample() -> ProcessResources {
        let fds = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count) ?? -1
        let status = ProcessStatus(of: "self")
        // The directory listing itself holds one descriptor open.
        return ProcessResources(
            fileDescriptors: fds - 1, threads: status?["Threads"] ?? -1, residentKilobytes: status?["VmRSS"] ?? -1)
    }

    /// A sample taken once the descriptor and thread counts have held still for 300 ms (at most
    /// 5 s): right after a restart, the dead instance's pipes, sockets and reaper may still be
    /// closing and the new one's brokered connection may not be open yet.
    static func settledSample() async throws -> ProcessResources {
        var last = sample()
        var unchanged = 0
        for _ in 0..<100 where unchanged < 6 {
            try await Task.sleep(for: .milliseconds(50))
            let next = sample()
            unchanged = (next.fileDescriptors, next.threads) == (last.fileDescriptors, last.threads) ? unchanged + 1 : 0
            last = next
        }
        return last
    }
}
