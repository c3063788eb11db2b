import Foundation
import PlugboardCore
import PlugboardSystem

#if canImport(Glibc)
import Glibc
#endif

/// The modes that attack the host's HTTP/2 connection: a raw unix socket server (so the plugin
/// owns the socket it names, and the host's SO_PEERCRED check passes), then bytes no honest
/// gRPC server sends. FIXTURE_SENT_FILE, if set, receives the bytes sent per connection.
enum HTTP2Attack {
    static func run(_ mode: String, socketDirectory: String) -> Never {
        signal(SIGPIPE, SIG_IGN)
        let path = "\(socketDirectory)/attack-\(getpid()).sock"
        let listener = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        let bound = UnixSocketAddress(path: path)!.withSockaddr { bind(listener, $0, $1) }
        guard listener >= 0, bound == 0, listen(listener, 16) == 0 else {
            FileHandle.standardError.write(
                Data("plugboard-fixture: cannot listen on \(path): \(String(cString: strerror(errno)))\n".utf8))
            exit(2)
        }
        print("1|1|unix|\(path)|grpc|")
        fflush(nil)
        while true {
            let connection = accept(listener, nil, nil)
            guard connection >= 0 else { continue }
            Thread.detachNewThread {
                let sent = mode == "http2-garbage" ? Self.garbage(connection) : Self.flood(connection)
                Misbehaviour.append(sent, toFileNamedIn: "FIXTURE_SENT_FILE")
                close(connection)
            }
        }
    }

    /// Random bytes, 64 KiB at a time, until the host closes the connection.
    private static func garbage(_ fd: Int32) -> Int {
        Self.drainInBackground(fd)
        var generator = SystemRandomNumberGenerator()
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        var sent = 0
        while true {
            chunk.withUnsafeMutableBytes { raw in
                for index in 0..<raw.count / 8 {
                    raw.storeBytes(of: generator.next(), toByteOffset: index * 8, as: UInt64.self)
                }
            }
            guard Self.writeAll(fd, chunk) else { return sent }
            sent += chunk.count
        }
    }

    /// A real server preface (SETTINGS), response HEADERS on the host's first stream, then DATA
    /// frames on it without end, ignoring every flow-control window.
    private static func flood(_ fd: Int32) -> Int {
        guard let streamID = Self.firstRequestStream(fd) else { return 0 }
        Self.drainInBackground(fd)
        var sent = 0
        guard Self.writeAll(fd, Self.frame(type: 0x4, flags: 0, stream: 0, payload: [])) else { return sent }
        // :status 200 (static index 8), content-type (index 31) application/grpc, literal.
        let headers: [UInt8] = [0x88, 0x0f, 0x10, 0x10] + Array("application/grpc".utf8)
        guard Self.writeAll(fd, Self.frame(type: 0x1, flags: 0x4, stream: streamID, payload: headers)) else {
            return sent
        }
        // One gRPC message of 4 MiB - 64 bytes announced, then zeros: always a valid stream of bytes.
        var payload = [UInt8](repeating: 0, count: 16 * 1024)
        payload[1] = 0x00; payload[2] = 0x3f; payload[3] = 0xff; payload[4] = 0xc0
        let first = Self.frame(type: 0x0, flags: 0, stream: streamID, payload: payload)
        let rest = Self.frame(type: 0x0, flags: 0, stream: streamID, payload: [UInt8](repeating: 0, count: 16 * 1024))
        guard Self.writeAll(fd, first) else { return sent }
        sent += first.count
        while Self.writeAll(fd, rest) { sent += rest.count }
        return sent
    }

    /// Reads the host's preface and frames until its first HEADERS; returns that stream's ID.
    private static func firstRequestStream(_ fd: Int32) -> UInt32? {
        var input: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 16 * 1024)
        var offset = 24  // "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
        while true {
            while input.count >= offset + 9 {
                let length = Int(input[offset]) << 16 | Int(input[offset + 1]) << 8 | Int(input[offset + 2])
                let type = input[offset + 3]
                let stream =
                    UInt32(input[offset + 5] & 0x7f) << 24 | UInt32(input[offset + 6]) << 16
                    | UInt32(input[offset + 7]) << 8 | UInt32(input[offset + 8])
                if type == 0x1 { return stream }
                offset += 9 + length
            }
            let count = read(fd, &buffer, buffer.count)
            guard count > 0 else { return nil }
            input += buffer[0..<count]
        }
    }

    private static func frame(type: UInt8, flags: UInt8, stream: UInt32, payload: [UInt8]) -> [UInt8] {
        let length = payload.count
        return [
            UInt8(length >> 16 & 0xff), UInt8(length >> 8 & 0xff), UInt8(length & 0xff), type, flags,
            UInt8(stream >> 24 & 0x7f), UInt8(stream >> 16 & 0xff), UInt8(stream >> 8 & 0xff), UInt8(stream & 0xff),
        ] + payload
    }

    /// Reads and drops what the host sends, so its writes (GOAWAY, WINDOW_UPDATE) never block.
    private static func drainInBackground(_ fd: Int32) {
        Thread.detachNewThread {
            var buffer = [UInt8](repeating: 0, count: 64 * 1024)
            while read(fd, &buffer, buffer.count) > 0 {}
        }
    }

    private static func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let count = write(fd, raw.baseAddress! + offset, raw.count - offset)
                if count < 0 && errno == EINTR { continue }
                guard count > 0 else { return false }
                offset += count
            }
            return true
        }
    }
}
