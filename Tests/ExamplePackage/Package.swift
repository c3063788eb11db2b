// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "InventoryExample",
    platforms: [.macOS(.v15)],
    dependencies: [
        // Your copy of Plugboard, by path, or by URL: .package(url: "https://…/Plugboard", from: "…")
        .package(name: "Plugboard", path: "../..")
    ],
    targets: [
        // Written by `swift package --allow-writing-to-package-directory generate-plugboard-code`.
        .target(name: "CInventoryV1"),
        .target(name: "Inventory", dependencies: ["CInventoryV1", .product(name: "ProtobufC", package: "Plugboard")]),

        // The service, in a library that the plugin and the tests share, with the cookie.
        .target(
            name: "InventoryService",
            dependencies: ["Inventory", .product(name: "PlugboardPlugin", package: "Plugboard")]),
        .executableTarget(
            name: "inventory-plugin",
            dependencies: ["InventoryService", .product(name: "PlugboardPlugin", package: "Plugboard")]),

        // A host that loads the plugin for a few calls, and one that supervises it.
        .executableTarget(
            name: "inventory-host",
            dependencies: ["Inventory", "InventoryService", .product(name: "PlugboardHost", package: "Plugboard")]),
        .executableTarget(
            name: "inventory-supervisor",
            dependencies: ["Inventory", "InventoryService", .product(name: "PlugboardHost", package: "Plugboard")]),

        .testTarget(
            name: "InventoryTests",
            dependencies: ["Inventory", "InventoryService", .product(name: "PlugboardTesting", package: "Plugboard")]),
    ]
)
