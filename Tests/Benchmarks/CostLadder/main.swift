// cost-ladder: the same echo round trip at each layer of a Plugboard call, so that each layer's
// cost shows (issue 11). `make bench` runs it in every round and prints its medians next to the
// whole calls of go-plugin and Plugboard measured in the same round.
//
//   cost-ladder [-seconds 2] [-only KEY]   prints one JSON object: {"rungs": [{...}, ...]}
//   cost-ladder --peer KEY PATH   serves the far end of a two-process rung on PATH
//
// The rungs' keys: raw, nio, own, own_nio, lean_own, lean_nio_own, lean, grpc, direct, in_process
// (`-only` runs one, to profile it). The own rungs pair an own HTTP/2 end (`H2EchoServer`,
// `ThreadClientEcho`, on threads or on swift-nio) with the lean transport's ends, to show what
// swift-nio, Plugboard's HTTP/2 codec and connection handler each cost. Each rung makes
// sequential round trips for -seconds after a 0.3 s warm-up and reports the p50 and p99, and the
// CPU time and context switches per round trip of this process and, for the two-process rungs, of
// the peer.

import Foundation

#if canImport(Glibc)
import Glibc
#endif

let arguments = Array(CommandLine.arguments.dropFirst())
if arguments.first == "--peer", arguments.count == 3 {
    switch arguments[1] {
    case "raw": try RawSocketEcho.serve(path: arguments[2])
    case "nio": try await NIOEcho.serve(path: arguments[2])
    case "lean": try await LeanEcho.serve(path: arguments[2])
    case "own", "own_nio", "lean_own": try ThreadServerEcho.serve(path: arguments[2])
    case "lean_nio_own": try await NIOServerEcho.serve(path: arguments[2])
    case "grpc": try await GRPCEcho.serve(path: arguments[2], direct: false)
    case "direct": try await GRPCEcho.serve(path: arguments[2], direct: true)
    default: break
    }
    exit(0)
}
var seconds = 2.0
if let index = arguments.firstIndex(of: "-seconds"), index + 1 < arguments.count {
    seconds = Double(arguments[index + 1]) ?? seconds
}
let ladder = Ladder(duration: .milliseconds(Int(seconds * 1000)))
let only = arguments.firstIndex(of: "-only").flatMap { $0 + 1 < arguments.count ? arguments[$0 + 1] : nil }
var rungs: [Rung.Result] = []
for (key, label) in Ladder.rungs where only == nil || only == key {
    switch key {
    case "raw": rungs.append(try await ladder.twoProcesses(key, label, RawSocketEcho.client))
    case "nio": rungs.append(try await ladder.twoProcesses(key, label, NIOEcho.client))
    case "lean", "lean_own", "lean_nio_own": rungs.append(try await ladder.twoProcesses(key, label, LeanEcho.client))
    case "own": rungs.append(try await ladder.twoProcesses(key, label, ThreadClientEcho.client))
    case "own_nio": rungs.append(try await ladder.twoProcesses(key, label, NIOClientEcho.client))
    case "grpc", "direct": rungs.append(try await ladder.twoProcesses(key, label, GRPCEcho.client))
    default: rungs.append(try await ladder.oneProcess(key, label, InProcessEcho.client))
    }
}
let json = try JSONEncoder().encode(["rungs": rungs])
print(String(decoding: json, as: UTF8.self))
