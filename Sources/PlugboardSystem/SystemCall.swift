#if canImport(Glibc)
import Glibc
#endif

/// The one place Plugboard's Swift code makes blocking system calls on file descriptors, each
/// retried while it fails with `EINTR` (a signal arrived), in the spirit of NIOPosix's `System`.
package enum SystemCall {
    /// Calls `call` until it does not fail with `EINTR`; returns its last result (-1 with `errno`
    /// set on another error).
    package static func retrying<Result: BinaryInteger>(_ call: () -> Result) -> Result {
        while true {
            let result = call()
            if result >= 0 || errno != EINTR { return result }
        }
    }

    /// Reads into `buffer`: the number of bytes read, 0 at end of file, `nil` on an error.
    package static func read(_ fd: Int32, into buffer: inout [UInt8]) -> Int? {
        let count = Self.retrying { buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) } }
        return count >= 0 ? count : nil
    }

    /// Reads `fd` until end of file or an error, handing each chunk (at most `chunkSize` bytes) to
    /// `chunk`. Blocks: call it on a thread of its own.
    package static func readToEnd(_ fd: Int32, chunkSize: Int, _ chunk: ([UInt8]) -> Void) {
        var buffer = [UInt8](repeating: 0, count: chunkSize)
        while let count = Self.read(fd, into: &buffer), count > 0 {
            chunk(Array(buffer[0..<count]))
        }
    }

    /// The whole text of the file at `path` (a small one: `/proc` files), or `nil` if it cannot be
    /// opened.
    package static func readFile(_ path: String) -> String? {
        let fd = Self.retrying { open(path, O_RDONLY | O_CLOEXEC) }
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = []
        Self.readToEnd(fd, chunkSize: 4096) { bytes += $0 }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Writes all of `bytes`; false if a write failed (the reader went away, say).
    package static func writeAll(_ fd: Int32, _ bytes: some Collection<UInt8>) -> Bool {
        let bytes = Array(bytes)
        var offset = 0
        while offset < bytes.count {
            let written = Self.retrying {
                bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + offset, bytes.count - offset) }
            }
            guard written > 0 else { return false }
            offset += written
        }
        return true
    }
}
