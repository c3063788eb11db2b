import PlugboardSystem
import Testing

@Suite("Where socket directories are made")
struct SocketDirectoryBaseTests {
    @Test("TMPDIR, when set, wins over the tmpfs choices")
    func tmpdirWins() {
        #expect(SocketDirectoryBase.path(for: ["TMPDIR": "/var/tmp", "XDG_RUNTIME_DIR": "/dev/shm"]) == "/var/tmp")
    }

    @Test("without TMPDIR, an XDG_RUNTIME_DIR on a writable tmpfs is used (/dev/shm stands in for one)")
    func runtimeDirectory() {
        #expect(SocketDirectoryBase.path(for: ["TMPDIR": "", "XDG_RUNTIME_DIR": "/dev/shm"]) == "/dev/shm")
    }

    @Test("an XDG_RUNTIME_DIR that is no tmpfs, or missing, is passed over for /dev/shm (a tmpfs on Debian)")
    func notTmpfs() {
        #expect(SocketDirectoryBase.path(for: ["XDG_RUNTIME_DIR": "/"]) == "/dev/shm")
        #expect(SocketDirectoryBase.path(for: ["XDG_RUNTIME_DIR": "/no/such/directory"]) == "/dev/shm")
        #expect(SocketDirectoryBase.path(for: [:]) == "/dev/shm")
    }
}
