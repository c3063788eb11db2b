import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Writes lines of filler to a file descriptor, as fast as the reader takes them, then says on
/// stderr (as an hclog JSON line at info) that it finished, so hosts can tell they kept reading.
enum Flood {
    /// Runs `flood` on its own thread once the SDK has printed the handshake, which it signals by
    /// pointing fd 1 away from `original` (a copy of the stdout the plugin started with).
    static func afterHandshake(original: Int32, _ flood: @escaping @Sendable () -> Void) {
        Thread.detachNewThread {
            while self.inode(of: 1) == self.inode(of: original) { usleep(1000) }
            flood()
        }
    }

    private static func inode(of descriptor: Int32) -> UInt {
        var status = stat()
        return fstat(descriptor, &status) == 0 ? UInt(status.st_ino) : 0
    }

    static func write(megabytes: Int, to descriptor: Int32) {
        defer {
            let done = Array("{\"@level\":\"info\",\"@message\":\"flood finished\",\"megabytes\":\(megabytes)}\n".utf8)
            _ = done.withUnsafeBytes { Glibc.write(2, $0.baseAddress, $0.count) }
        }
        let line = Array((String(repeating: "flood ", count: 170) + "\n").utf8)  // ~1 KiB
        for _ in 0..<(megabytes * 1024) {
            var offset = 0
            while offset < line.count {
                let written = line.withUnsafeBytes {
                    Glibc.write(descriptor, $0.baseAddress! + offset, line.count - offset)
                }
                if written > 0 { offset += written } else if errno != EINTR { return }
            }
        }
    }
}
