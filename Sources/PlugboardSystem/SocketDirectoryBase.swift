import CPlugboardSystem

#if canImport(Glibc)
import Glibc
#endif

/// Where a host or a plugin makes its private socket directory.
package enum SocketDirectoryBase {
    /// `$TMPDIR` when it is set; otherwise the first of `$XDG_RUNTIME_DIR` and `/dev/shm` that is a
    /// writable tmpfs; otherwise `/tmp`. Making and removing a directory costs far more on a disk
    /// file system than on a tmpfs (ext4 allocates and frees a block, through its journal): with
    /// `/tmp` on ext4, a plugin's graceful stop took 5–18% longer than with the directory on
    /// `/dev/shm` (alternating pairs of `plugin-bench` and of go-plugin's host).
    package static func path(for environment: [String: String]) -> String {
        if let given = environment["TMPDIR"], !given.isEmpty { return given }
        let candidates = [environment["XDG_RUNTIME_DIR"] ?? "", "/dev/shm"].filter { !$0.isEmpty }
        return candidates.first { CPlugboardSystem_isTmpfs($0) == 1 && access($0, W_OK | X_OK) == 0 } ?? "/tmp"
    }
}
