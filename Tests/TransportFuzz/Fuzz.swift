// The lean transport's connection handler under libFuzzer, and the same work as a plain program.
//
// Each input is one connection: its first byte picks the side (even: the client a host runs, with
// one call open; odd: the server a plugin runs), the rest is what the peer sends, fed to an
// EmbeddedChannel in chunks. Nothing may crash, and the bytes the connection holds for its
// streams stay within what its windows and limits allow.
//
// Built with `-DFUZZING -sanitize=fuzzer` (`make fuzz-transport`), libFuzzer calls
// `LLVMFuzzerTestOneInput`. Built normally, `main` replays the files given as arguments, writes
// the seed inputs with `--write-seeds DIR`, or with no argument runs a fixed number of inputs
// (TRANSPORT_FUZZ_INPUTS, default 3000) mutated from the seeds with a fixed random seed, as
// `make test` does.

import FuzzDriver
import NIOCore
import NIOEmbedded
import PlugboardTestSupport
import PlugboardTransport

/// Small windows and limits, so that holding more than they allow is reachable with small inputs.
let config: UnixSocketTransport.Config = {
    var config = UnixSocketTransport.Config.defaults
    config.maxReceiveMessageSize = 16 * 1024
    config.streamWindowSize = 65_535
    config.connectionWindowSize = 2 * 65_535
    config.maxConcurrentStreams = 8
    return config
}()

/// What one stream may hold: its window of unread messages, a partial message, a few parts.
let perStreamBound = config.streamWindowSize + config.maxReceiveMessageSize + 5 + 4 * 64

func exercise(_ input: UnsafeRawBufferPointer) {
    guard let first = input.first else { return }
    let side: ConnectionHarness.Side = first & 1 == 0 ? .client : .server
    let channel = EmbeddedChannel()
    let harness: ConnectionHarness
    do {
        harness = try ConnectionHarness(side: side, channel: channel, config: config)
        try channel.connect(to: SocketAddress(unixDomainSocketPath: "/fuzz.sock")).wait()
    } catch {
        fatalError("setting up the connection failed: \(error)")
    }
    if side == .client { harness.openStream() }
    channel.embeddedEventLoop.run()
    drainOutbound(channel)

    var rest = UnsafeRawBufferPointer(rebasing: input.dropFirst())
    var chunkIndex = 0
    while !rest.isEmpty, channel.isActive {
        // Varying chunk sizes split frames at every kind of boundary.
        let size = min(rest.count, [1, 9, 100, 4096, 65_536][chunkIndex % 5] + Int(first >> 1))
        chunkIndex += 1
        _ = try? channel.writeInbound(ByteBuffer(bytes: UnsafeRawBufferPointer(rebasing: rest.prefix(size))))
        rest = UnsafeRawBufferPointer(rebasing: rest.dropFirst(size))
        channel.embeddedEventLoop.run()
        drainOutbound(channel)
        check(harness)
    }
    _ = try? channel.finish()
    channel.embeddedEventLoop.run()
    precondition(harness.openStreams == 0, "\(harness.openStreams) streams left after the connection closed")
}

func check(_ harness: ConnectionHarness) {
    // No cap on the stream count here: SETTINGS_MAX_CONCURRENT_STREAMS binds a peer only once it
    // acknowledged our SETTINGS, and swift-nio-http2 lets a server's peer open streams before.
    let streams = harness.openStreams
    let buffered = harness.bufferedBytes
    precondition(
        buffered <= max(streams, 1) * perStreamBound,
        "the connection holds \(buffered) bytes for \(streams) streams, more than \(perStreamBound) each"
    )
}

func drainOutbound(_ channel: EmbeddedChannel) {
    while (try? channel.readOutbound(as: IOData.self)) ?? nil != nil {}
}

// MARK: Seeds: valid conversations, so mutations start past the preface.

func literal(_ name: String, _ value: String) -> [UInt8] {
    [0x00, UInt8(name.utf8.count)] + Array(name.utf8) + [UInt8(value.utf8.count)] + Array(value.utf8)
}

func grpcMessage(_ text: String) -> [UInt8] {
    let n = text.utf8.count
    return [0, UInt8(n >> 24 & 0xff), UInt8(n >> 16 & 0xff), UInt8(n >> 8 & 0xff), UInt8(n & 0xff)] + Array(text.utf8)
}

let contentType: [UInt8] = [0x0f, 0x10, 0x10] + Array("application/grpc".utf8)

/// Seeds, each starting with its side byte.
let seeds: [[UInt8]] = {
    let settings = http2Frame(0x4)
    let ack = http2Frame(0x4, flags: 0x1)
    let response = http2Frame(0x1, flags: 0x4, stream: 1, [0x88] + contentType)
    let trailers = http2Frame(0x1, flags: 0x5, stream: 1, literal("grpc-status", "0"))
    let client: [UInt8] =
        [0] + settings + ack + response
        + http2Frame(0x0, stream: 1, grpcMessage("hello")) + http2Frame(0x0, stream: 1, grpcMessage("again")) + trailers
    let clientPing: [UInt8] =
        [2] + settings + http2Frame(0x6, [UInt8](repeating: 7, count: 8)) + response
        + http2Frame(0x8, stream: 0, [0, 0, 0x10, 0])
        + http2Frame(0x0, stream: 1, grpcMessage(String(repeating: "x", count: 200)))
        + http2Frame(0x7, [0, 0, 0, 1, 0, 0, 0, 0])

    let magic = Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8)
    let request: [UInt8] =
        [0x83, 0x86] + [0x04, UInt8(ConnectionHarness.method.utf8.count)]
        + Array(ConnectionHarness.method.utf8) + contentType + literal("te", "trailers")
    let server: [UInt8] =
        [1] + magic + settings + ack + http2Frame(0x1, flags: 0x4, stream: 1, request)
        + http2Frame(0x0, flags: 0x1, stream: 1, grpcMessage("hello"))
    var streams: [UInt8] = [3] + magic + settings
    for id in stride(from: UInt32(1), through: 21, by: 2) {
        streams += http2Frame(0x1, flags: 0x4, stream: id, request) + http2Frame(0x0, stream: id, grpcMessage("m\(id)"))
    }
    streams += http2Frame(0x3, stream: 3, [0, 0, 0, 8])
    return [client, clientPing, server, streams]
}()

// MARK: Mutations for the plain mode (libFuzzer brings its own)

struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        self.state &+= 0x9E37_79B9_7F4A_7C15
        var z = self.state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

func mutate(_ seed: [UInt8], _ random: inout SplitMix64) -> [UInt8] {
    var input = seed
    for _ in 0..<Int.random(in: 1...8, using: &random) {
        let at = Int.random(in: 1...max(1, input.count - 1), using: &random)
        switch Int.random(in: 0..<7, using: &random) {
        case 0: input[min(at, input.count - 1)] ^= UInt8(1 << Int.random(in: 0..<8, using: &random))
        case 1: input[min(at, input.count - 1)] = UInt8.random(in: 0...255, using: &random)
        case 2:
            input.insert(
                contentsOf: (0..<Int.random(in: 1...32, using: &random)).map { _ in
                    UInt8.random(in: 0...255, using: &random)
                }, at: at)
        case 3:  // repeat a slice, as a flood would
            let end = min(input.count, at + Int.random(in: 9...200, using: &random))
            let slice = Array(input[at..<end])
            for _ in 0..<Int.random(in: 1...400, using: &random) { input += slice }
        case 4: input.removeSubrange(at..<min(input.count, at + Int.random(in: 1...16, using: &random)))
        case 5:  // a DATA frame on an odd stream, of a random length
            let n = Int.random(in: 0...20_000, using: &random)
            input += http2Frame(
                0x0, flags: UInt8.random(in: 0...1, using: &random) * 0x1,
                stream: UInt32.random(in: 0...9, using: &random) | 1, [UInt8](repeating: 0, count: n))
        default: input = Array(input.prefix(at))
        }
        if input.isEmpty { input = [seed[0]] }
    }
    return input
}

#if FUZZING
@_cdecl("transport_fuzz_main")
public func fuzzMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    runLibFuzzer(argc, argv, exercise: exercise)
}
#else
import Foundation

@main
enum TransportFuzz {
    static func main() throws {
        let arguments = Array(CommandLine.arguments.dropFirst())
        if arguments.first == "--write-seeds", arguments.count == 2 {
            try FileManager.default.createDirectory(atPath: arguments[1], withIntermediateDirectories: true)
            for (index, seed) in seeds.enumerated() {
                try Data(seed).write(to: URL(fileURLWithPath: arguments[1]).appendingPathComponent("seed-\(index)"))
            }
            print("transport-fuzz: wrote \(seeds.count) seeds to \(arguments[1])")
            return
        }
        if !arguments.isEmpty {
            try replay(arguments, exercise)
            print("transport-fuzz: replayed \(arguments.count) inputs, no crash")
            return
        }
        let count = ProcessInfo.processInfo.environment["TRANSPORT_FUZZ_INPUTS"].flatMap(Int.init) ?? 3000
        var random = SplitMix64(state: 0x5EED_F00D)
        let started = ContinuousClock.now
        var fed = 0
        for index in 0..<count {
            let input: [UInt8]
            if index < seeds.count {
                input = seeds[index]
            } else if index % 10 == 0 {
                input = (0..<Int.random(in: 1...4096, using: &random)).map { _ in
                    UInt8.random(in: 0...255, using: &random)
                }
            } else {
                input = mutate(seeds[Int.random(in: 0..<seeds.count, using: &random)], &random)
            }
            fed += input.count
            input.withUnsafeBytes { exercise($0) }
        }
        print(
            "transport-fuzz: \(count) inputs (\(fed / 1024) KiB) through the connection handler in \(ContinuousClock.now - started), no crash, buffers within bounds"
        )
    }
}
#endif
