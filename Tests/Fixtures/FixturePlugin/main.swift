// plugboard-fixture: one plugin binary whose first argument picks how it behaves, for the host's
// process tests and the go-plugin interop tests (go-plugin's own tests use one helper the same way).
//
//   echo (default)   a correct plugin serving plugboard.test.v1.Echo through the SDK (with
//                    PLUGBOARD_FIXTURE_TRACING=1, tracing into an in-memory tracer)
//   no-cookie        expects a different magic cookie, so it prints go-plugin's text and exits 1
//   garbage          prints a line of text instead of the handshake
//   extra-line       prints a line of text, then a valid handshake
//   wrong-core       handshake with core protocol version 2
//   bad-version      handshake with app protocol version 99
//   netrpc           handshake with protocol netrpc
//   missing-socket   handshake naming a socket that does not exist
//   exit-early       writes an error to stderr and exits with status 3 before the handshake
//   silent           never prints anything
//   stubborn         serves, but ignores Shutdown and SIGTERM
//   flood-stdout     serves, and writes 200 MB to its original stdout pipe after the handshake
//   flood-stdio      serves, and writes 200 MB to fd 1 (captured, sent over GRPCStdio) after it
//   flood-stderr     serves, and writes 200 MB to stderr after the handshake
//   crash-after-ready serves, then exits with status 70 after FIXTURE_CRASH_MS (default 100) ms
//   service-group    serves through a PluginServer run as a Service in a ServiceGroup (SIGTERM
//                    graceful), not through PluginServer.serve; exits 0 when the group ends
//
// AutoMTLS gone wrong (the host asks for it, except in tls-unasked):
//   tls-plaintext           ignores PLUGIN_CLIENT_CERT and serves plaintext (field 6 empty)
//   tls-garbled-certificate field 6 starts like DER but is no certificate
//   tls-other-certificate   serves TLS with one certificate and announces another in field 6
//   tls-certificate-over-plaintext  announces a certificate in field 6 but serves plaintext
//   tls-unasked             announces a certificate although the host did not ask for AutoMTLS
//
// These answer --describe like a real plugin, then misbehave when started (FIXTURE_PID_FILE, if
// set, receives the pids of the processes they start):
//   slow-start       sleeps 30 s before serving
//   fork-silent      starts a child (`sleep 60`) holding its stdout and stderr, never handshakes
//   fork-serve       starts that child, then serves
//   setsid-daemon    starts `setsid sleep 60` (its own session, out of the process group) holding
//                    stdout and stderr, then serves
//   foreign-socket   handshake naming the socket in FIXTURE_FOREIGN_SOCKET, which it does not own
//   http2-garbage    handshake naming its own socket, then random bytes to every connection
//   http2-flood      on every connection: a real SETTINGS preface, response HEADERS on the host's
//                    first stream, then DATA frames on it without end, ignoring flow control
//
// These misbehave when run with --describe (the argument after the mode, if any, names the file
// that receives the pids of the processes they start):
//   describe-flood   writes to stdout without end
//   describe-fork    starts `setsid sleep 60` holding stdout and stderr, prints a valid
//                    description and exits 0
//   describe-hang    starts that daemon and never answers
//
// In echo mode, some Get texts misbehave on purpose (hang, sleep:<ms>, deadline): see LoggingEcho.

import Foundation
import InMemoryTracing
import Logging
import PlugboardCore
import PlugboardPlugin
import PlugboardTestSupport
import Tracing

#if canImport(Glibc)
import Glibc
#endif

let mode = CommandLine.arguments.dropFirst().first ?? "echo"
if ProcessInfo.processInfo.environment["PLUGBOARD_FIXTURE_TRACING"] == "1" {
    InstrumentationSystem.bootstrap(InMemoryTracer())
}
let socketDirectory = ProcessInfo.processInfo.environment[PluginEnvironment.unixSocketDirectory] ?? "/tmp"

func say(_ line: String) {
    print(line)
    fflush(nil)
}

switch mode {
case "echo", PluginDescription.argument:
    // The description also claims the ratelimit set, which this plugin does not serve: a lie the
    // host tests catch on the first call.
    let description = PluginDescription(
        name: "plugboard-fixture", version: "0.1.0",
        serviceSets: [
            ServiceSetDescription(name: "echo", version: "1.0.0", services: ["plugboard.test.v1.Echo"]),
            ServiceSetDescription(name: "ratelimit", version: "1.0.0", services: ["ratelimit.v1.RateLimiter"]),
        ],
        appProtocolVersions: [1]
    )
    await PluginServer.serve(description: description, logLevel: .trace) { _, logger, broker in
        [LoggingEcho(logger: logger, broker: broker)]
    }
case "no-cookie":
    await PluginServer.serve(
        handshake: HandshakeConfig(magicCookieKey: "OTHER_APP_PLUGIN", magicCookieValue: "x", appProtocolVersions: [1])
    ) { _, _ in [] }
case "garbage":
    say("starting up, please wait")
    sleep(30)
case "extra-line":
    say("debug: loading configuration")
    say("1|1|unix|\(socketDirectory)/never.sock|grpc|")
    sleep(30)
case "wrong-core":
    say("2|1|unix|\(socketDirectory)/never.sock|grpc|")
    sleep(30)
case "bad-version":
    say("1|99|unix|\(socketDirectory)/never.sock|grpc|")
    sleep(30)
case "netrpc":
    say("1|1|unix|\(socketDirectory)/never.sock|netrpc|")
    sleep(30)
case "missing-socket":
    say("1|1|unix|\(socketDirectory)/missing.sock|grpc|")
    sleep(30)
case "exit-early":
    FileHandle.standardError.write(Data("fatal: the configuration file /etc/fixture.conf is missing\n".utf8))
    exit(3)
case "silent":
    while true { sleep(60) }
case "stubborn":
    await StubbornPlugin.serve(socketDirectory: socketDirectory)
case "flood-stdout", "flood-stdio", "flood-stderr":
    // flood-stdout writes to the stdout pipe the host gave the plugin (as a plugin without
    // stdio capture would); flood-stdio to fd 1 after the SDK captured it (GRPCStdio).
    let original = dup(1)
    let target: Int32 = mode == "flood-stdout" ? original : mode == "flood-stdio" ? 1 : 2
    Flood.afterHandshake(original: original) { Flood.write(megabytes: 200, to: target) }
    await PluginServer.serve(logLevel: .info) { _, _ in [LoggingEcho(logger: nil)] }
case "crash-after-ready":
    let delay = ProcessInfo.processInfo.environment["FIXTURE_CRASH_MS"].flatMap(Int.init) ?? 100
    await PluginServer.serve(logLevel: .info) { _, _ in
        Thread.detachNewThread {
            usleep(UInt32(delay) * 1000)
            FileHandle.standardError.write(Data("fatal: simulated crash after \(delay) ms\n".utf8))
            exit(70)
        }
        return [LoggingEcho(logger: nil)]
    }
case "service-group":
    await ServiceGroupPlugin.run()
case "slow-start":
    Misbehaviour.describeIfAsked(mode)
    sleep(30)
    await PluginServer.serve(logLevel: .info) { _, _ in [LoggingEcho(logger: nil)] }
case "fork-silent":
    Misbehaviour.describeIfAsked(mode)
    Misbehaviour.startChild(["/usr/bin/sleep", "60"])
    while true { sleep(60) }
case "fork-serve":
    Misbehaviour.describeIfAsked(mode)
    Misbehaviour.startChild(["/usr/bin/sleep", "60"])
    await PluginServer.serve(logLevel: .info) { _, _ in [LoggingEcho(logger: nil)] }
case "setsid-daemon":
    Misbehaviour.describeIfAsked(mode)
    Misbehaviour.startChild(["/usr/bin/setsid", "/usr/bin/sleep", "60"])
    await PluginServer.serve(logLevel: .info) { _, _ in [LoggingEcho(logger: nil)] }
case "foreign-socket":
    Misbehaviour.describeIfAsked(mode)
    say("1|1|unix|\(ProcessInfo.processInfo.environment["FIXTURE_FOREIGN_SOCKET"] ?? "/nonexistent")|grpc|")
    sleep(30)
case "http2-garbage", "http2-flood":
    Misbehaviour.describeIfAsked(mode)
    HTTP2Attack.run(mode, socketDirectory: socketDirectory)
case "tls-plaintext", "tls-garbled-certificate", "tls-other-certificate", "tls-certificate-over-plaintext",
    "tls-unasked":
    await TLSMisbehaviour.run(mode, socketDirectory: socketDirectory)
case "describe-flood", "describe-fork", "describe-hang":
    DescribeAttack.run(mode)
default:
    FileHandle.standardError.write(Data("plugboard-fixture: unknown mode \(mode)\n".utf8))
    exit(2)
}
