// What a plugin author needs comes with `import PlugboardPlugin`: through PlugboardBroker, GRPCCore
// (service protocols, `ServerContext`, `RPCError`) and the handshake and description types;
// swift-log's `Logger`; the transport's settings; swift-service-lifecycle (`PluginServer` is a
// `Service`); and `PluginCall`, the call's request id and span.
@_exported public import Logging
@_exported public import PlugboardBroker
@_exported public import ServiceLifecycle
@_exported public import UnixSignals

@_exported public import enum PlugboardObservability.PluginCall
@_exported public import enum PlugboardTransport.UnixSocketTransport
