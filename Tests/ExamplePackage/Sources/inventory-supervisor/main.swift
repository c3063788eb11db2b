import Inventory
import InventoryService
import PlugboardHost

let logger = Logger(label: "inventory-supervisor")
let spec = PluginSpec(path: CommandLine.arguments[1], handshake: inventoryHandshake)
let supervisor = PluginSupervisor(spec: spec, logger: logger) { plugin in
    // Runs after every (re)start, before calls reach the new instance: re-apply state here.
    _ = try await Inventory_V1_Inventory.Client(wrapping: plugin.client).restock(
        .with {
            $0.sku = "fig"; $0.quantity = 12
        })
}
let group = ServiceGroup(services: [supervisor], gracefulShutdownSignals: [.sigterm], logger: logger)
try await withThrowingTaskGroup(of: Void.self) { tasks in
    tasks.addTask { try await group.run() }
    let inventory = Inventory_V1_Inventory.Client(wrapping: supervisor.client)
    let figs = try await inventory.count(.with { $0.sku = "fig" })  // waits until the plugin is ready
    print("supervised: \(figs.left) \(figs.sku) left, \(supervisor.restarts) restarts")
    await group.triggerGracefulShutdown()
    try await tasks.waitForAll()
}
