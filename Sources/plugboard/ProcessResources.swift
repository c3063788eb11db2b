import Foundation

/// This process's open file descriptors, threads and resident memory, from `/proc/self`.
struct ProcessResources: Sendable, Codable {
    var fileDescriptors: Int
    var threads: Int
    var residentKilobytes: Int

    static func sample() -> ProcessResources {
        let fds = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count) ?? -1
        let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
        func field(_ name: String) -> Int {
            let line = status.split(separator: "\n").first { $0.hasPrefix(name + ":") }
            return line?.split(whereSeparator: { $0 == " " || $0 == "\t" }).dropFirst().first.flatMap { Int($0) } ?? -1
        }
        // The directory listing itself holds one descriptor open.
        return ProcessResources(fileDescriptors: fds - 1, threads: field("Threads"), residentKilobytes: field("VmRSS"))
    }
}
