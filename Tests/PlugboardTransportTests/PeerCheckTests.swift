import GRPCCore
import PlugboardTransport
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The lean client judges the process listening on the socket before each connection sends a byte.
@Suite("The lean client's peer check")
struct PeerCheckTests {
  @Test("the check is given the listener's pid and uid, and an accepted peer serves calls")
  func accepted() async throws {
    let path = makeSocketPath()
    let serverTransport = UnixSocketTransport.AnyServer(kind: .lean, path: path)
    let server = GRPCServer(transport: serverTransport, services: [EchoService(probe: Probe())])
    let seen = Mutex<[(Int32, UInt32)]>([])
    try await withThrowingTaskGroup(of: Void.self) { group in
      group.addTask { try await server.serve() }
      try await serverTransport.waitUntilListening()
      let client = UnixSocketTransport.AnyClient.lean(path: path) { pid, uid in seen.withLock { $0.append((pid, uid)) } }
      try await withGRPCClient(transport: client) { client in
        let echoed = try await client.call(EchoService.Method.get, [7])
        #expect(echoed == [7])
      }
      server.beginGracefulShutdown()
      try await group.waitForAll()
    }
    let checks = seen.withLock { $0 }
    #expect(checks.count == 1)
    #expect(checks.first?.0 == getpid() && checks.first?.1 == getuid(), "the server runs in this process")
  }

  @Test("a refused peer receives zero bytes, and calls fail with the check's reason")
  func refused() async throws {
    let path = makeSocketPath()
    let listener = try RawListener(path: path)
    let client = UnixSocketTransport.AnyClient.lean(path: path) { pid, _ in
      throw RPCError(code: .permissionDenied, message: "pid \(pid) is not the plugin")
    }
    let error = try await withGRPCClient(transport: client) { client in
      var options = CallOptions.defaults
      options.timeout = .seconds(5)
      return await #expect(throws: RPCError.self) { try await client.call(EchoService.Method.get, [1], options: options) }
    }
    #expect(error?.message.contains("pid \(getpid()) is not the plugin") == true, "\(error.map { "\($0)" } ?? "")")
    let received = listener.drain()
    #expect(received.connections >= 1, "the client connected")
    #expect(received.bytes == 0, "the refused peer received \(received.bytes) bytes")
  }
}

extension UnixSocketTransport.AnyClient {
  fileprivate static func lean(path: String, peerCheck: @escaping UnixSocketTransport.Client.PeerCheck) -> Self {
    // The lean kind never throws.
    try! UnixSocketTransport.AnyClient(kind: .lean, path: path, peerCheck: peerCheck)
  }
}

/// A listener that accepts nothing by itself and answers nothing: it counts what arrives.
private final class RawListener {
  let fd: Int32
  let path: String

  init(path: String) throws {
    self.path = path
    self.fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
    var address = sockaddr_un()
    address.sun_family = sa_family_t(AF_UNIX)
    withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: Array(path.utf8) + [0]) }
    let bound = withUnsafePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(self.fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
    }
    guard self.fd >= 0, bound == 0, listen(self.fd, 64) == 0 else { throw RPCError(code: .internalError, message: "cannot listen on \(path)") }
  }

  /// Accepts every pending connection and reads each until it closes (or 200 ms pass).
  func drain() -> (connections: Int, bytes: Int) {
    var connections = 0
    var bytes = 0
    while true {
      let connection = accept(self.fd, nil, nil)
      guard connection >= 0 else { break }
      connections += 1
      var buffer = [UInt8](repeating: 0, count: 4096)
      var events = pollfd(fd: connection, events: Int16(POLLIN), revents: 0)
      while poll(&events, 1, 200) > 0 {
        let count = read(connection, &buffer, buffer.count)
        if count <= 0 { break }
        bytes += count
      }
      close(connection)
    }
    return (connections, bytes)
  }

  deinit {
    close(self.fd)
    unlink(self.path)
  }
}
