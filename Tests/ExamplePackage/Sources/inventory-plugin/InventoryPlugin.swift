import InventoryService
import PlugboardPlugin

@main
struct InventoryPlugin {
    static func main() async {
        await PluginServer.serve(handshake: inventoryHandshake) { version, logger, broker in
            [InventoryService(stock: ["apple": 3], broker: broker)]
        }
    }
}
