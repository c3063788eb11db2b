// The host and the plugin SDK both re-export this module, and with it the vocabulary its API is
// written in and both sides share: GRPCCore, and PlugboardCore's handshake, description, error and
// reattach types.
@_exported public import GRPCCore
@_exported public import PlugboardCore
