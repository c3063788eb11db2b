#if canImport(Glibc)
import Glibc
#endif

/// Writes lines of filler to a file descriptor, as fast as the reader takes them, then says on
/// stderr (as an hclog JSON line at info) that it finished, so hosts can tell they kept reading.
enum Flood {
    static func write(megabytes: Int, to descriptor: Int32) {
        defer {
            let done = Array("{\"@level\":\"info\",\"@message\":\"flood finished\",\"megabytes\":\(megabytes)}\n".utf8)
            _ = done.withUnsafeBytes { Glibc.write(2, $0.baseAddress, $0.count) }
        }
        let line = Array((String(repeating: "flood ", count: 170) + "\n").utf8)  // ~1 KiB
        for _ in 0..<(megabytes * 1024) {
            var offset = 0
            while offset < line.count {
                let written = line.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress! + offset, line.count - offset) }
                if written > 0 { offset += written } else if errno != EINTR { return }
            }
        }
    }
}
