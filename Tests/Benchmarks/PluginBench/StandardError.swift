#if canImport(Glibc)
import Glibc
#endif

/// Writes `text` to file descriptor 2 in full (retrying short writes and EINTR).
func writeStandardError(_ text: String) {
    let bytes = Array(text.utf8)
    var offset = 0
    while offset < bytes.count {
        let written = bytes[offset...].withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
        if written > 0 {
            offset += written
        } else if errno != EINTR {
            return
        }
    }
}
