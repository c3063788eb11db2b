// bench-echo-plugin: the Swift side of `make bench`. It serves plugboard.test.v1.Echo through the
// plugin SDK exactly as the Go echo-plugin serves it through go-plugin, and does nothing else, so
// the benchmark measures the SDK and the transport, not a fixture's extra modes.

import GRPCCore
import PlugboardPlugin
import PlugboardTestSupport

await PluginServer.serve { _, _ in [EchoService()] }
