// swift-tools-version:6.1
import PackageDescription

/// Settings every Swift target shares: Swift 6 mode and explicit import access levels; with
/// `PLUGBOARD_WARNINGS_AS_ERRORS=1` (the Makefile sets it) every warning is an error. A package
/// that depends on Plugboard never sees the flag: SwiftPM refuses unsafe flags from dependencies.
let swiftSettings: [SwiftSetting] =
    [
        .swiftLanguageMode(.v6),
        .enableUpcomingFeature("ExistentialAny"),
        .enableUpcomingFeature("InternalImportsByDefault"),
        .enableUpcomingFeature("MemberImportVisibility"),
    ]
    + (Context.environment["PLUGBOARD_WARNINGS_AS_ERRORS"] == "1" ? [.unsafeFlags(["-warnings-as-errors"])] : [])

let grpcCore = Target.Dependency.product(name: "GRPCCore", package: "grpc-swift-2")

var targets: [Target] = [
    // MARK: C: libprotobuf-c and protoc-c output (generated, committed, never hand-edited)
    .systemLibrary(
        name: "CProtobufC",
        pkgConfig: "libprotobuf-c",
        providers: [.apt(["libprotobuf-c-dev"])]
    ),
    .target(name: "CGoogleProtobuf", dependencies: ["CProtobufC"]),
    .target(name: "CGoogleProtobufCompiler", dependencies: ["CProtobufC", "CGoogleProtobuf"]),
    .target(name: "CGrpcHealthV1", dependencies: ["CProtobufC"]),
    .target(name: "CPlugin", dependencies: ["CProtobufC", "CGoogleProtobuf"]),

    // MARK: Swift over protobuf-c
    .target(name: "ProtobufC", dependencies: ["CProtobufC", grpcCore]),
    // The generator as a library (unit-tested by PlugboardCodeGenTests), and the protoc plugin and
    // `generate-plugboard-code` command around it.
    .target(
        name: "PlugboardCodeGen",
        dependencies: [
            "CProtobufC", "CGoogleProtobuf", "CGoogleProtobufCompiler",
            .product(name: "GRPCCodeGen", package: "grpc-swift-2"),
        ]
    ),
    .executableTarget(name: "protoc-gen-plugboard", dependencies: ["PlugboardCodeGen", "PlugboardSystem"]),

    // MARK: Code generation in any package: `swift package generate-plugboard-code` (runs protoc-gen-plugboard)
    .plugin(
        name: "GeneratePlugboardCode",
        capability: .command(
            intent: .custom(
                verb: "generate-plugboard-code",
                description:
                    "Generates protoc-c C targets and Plugboard Swift targets from the package's .proto files (plugboard-codegen.json)"
            ),
            permissions: [
                .writeToPackageDirectory(
                    reason: "Writes the generated C and Swift files into the targets plugboard-codegen.json names")
            ]
        ),
        dependencies: ["protoc-gen-plugboard"],
        path: "Sources/GeneratePlugboardCode"
    ),
    .target(
        name: "GoPluginProtos",
        dependencies: ["ProtobufC", "CProtobufC", "CGoogleProtobuf", "CGrpcHealthV1", "CPlugin", grpcCore]
    ),

    // MARK: The go-plugin protocol: handshake, versions, errors, log lines (pure values, no I/O)
    .target(
        name: "PlugboardCore",
        dependencies: [.product(name: "Logging", package: "swift-log")]
    ),

    // MARK: Transport: gRPC over unix sockets behind GRPCCore's transport protocols
    .target(
        name: "PlugboardTransport",
        dependencies: [
            "PlugboardCore", "PlugboardSystem", "ProtobufC", grpcCore,
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP2", package: "swift-nio-http2"),
            .product(name: "NIOHPACK", package: "swift-nio-http2"),
            .product(name: "GRPCNIOTransportHTTP2Posix", package: "grpc-swift-nio-transport"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
            .product(name: "NIOTLS", package: "swift-nio"),
            .product(name: "X509", package: "swift-certificates"),
            .product(name: "SwiftASN1", package: "swift-asn1"),
            .product(name: "Crypto", package: "swift-crypto"),
        ]
    ),

    // MARK: Observability: metrics, spans and request ids per plugin and method
    .target(
        name: "PlugboardObservability",
        dependencies: [
            "PlugboardCore", "PlugboardTransport", grpcCore,
            .product(name: "Logging", package: "swift-log"),
            .product(name: "CoreMetrics", package: "swift-metrics"),
            .product(name: "Tracing", package: "swift-distributed-tracing"),
        ]
    ),

    // MARK: Plugin SDK and host
    .target(name: "CPlugboardSystem"),
    .target(name: "PlugboardSystem", dependencies: ["CPlugboardSystem"]),
    .target(
        name: "PlugboardBroker",
        dependencies: ["PlugboardCore", "PlugboardTransport", "GoPluginProtos", "ProtobufC", grpcCore]
    ),
    .target(
        name: "PlugboardPlugin",
        dependencies: [
            "PlugboardCore", "PlugboardTransport", "PlugboardBroker", "PlugboardObservability",
            "GoPluginProtos",
            "CPlugboardSystem", "PlugboardSystem", grpcCore,
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "UnixSignals", package: "swift-service-lifecycle"),
        ]
    ),
    .target(
        name: "PlugboardHost",
        dependencies: [
            "PlugboardCore", "PlugboardTransport", "PlugboardBroker", "PlugboardObservability", "GoPluginProtos",
            "ProtobufC", "CPlugboardSystem", "PlugboardSystem", grpcCore,
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "UnixSignals", package: "swift-service-lifecycle"),
        ]
    ),

    .target(
        name: "PlugboardTesting",
        dependencies: [
            "PlugboardPlugin", "PlugboardHost", "PlugboardCore", "PlugboardTransport", "GoPluginProtos", "ProtobufC",
            grpcCore,
            .product(name: "Logging", package: "swift-log"),
            .product(name: "InMemoryLogging", package: "swift-log"),
        ]
    ),

    .target(
        name: "PlugboardConfig",
        dependencies: ["PlugboardHost", "PlugboardCore", .product(name: "Yams", package: "Yams")]
    ),

    // MARK: Service sets
    .target(name: "CRatelimitV1", dependencies: ["CProtobufC"]),
    .target(
        name: "RateLimitServiceSet",
        dependencies: ["ProtobufC", "CProtobufC", "CRatelimitV1", "PlugboardCore", grpcCore]),
    .target(name: "CStreamV1", dependencies: ["CProtobufC"]),
    .target(
        name: "StreamServiceSet", dependencies: ["ProtobufC", "CProtobufC", "CStreamV1", "PlugboardCore", grpcCore]),

    // MARK: The host command line
    .executableTarget(
        name: "plugboard",
        dependencies: [
            "PlugboardHost", "PlugboardConfig", "PlugboardCore", "PlugboardSystem", "RateLimitServiceSet",
            "StreamServiceSet", grpcCore,
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "Prometheus", package: "swift-prometheus"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
        ]
    ),

    // MARK: Plugins (`make` builds the executables into assets/)
    .target(
        name: "RateLimitEngine",
        dependencies: [
            "RateLimitServiceSet", "PlugboardCore", grpcCore, .product(name: "Logging", package: "swift-log"),
        ],
        path: "Plugins/RateLimitPlugin/Engine"
    ),
    .executableTarget(
        name: "ratelimit-plugin",
        dependencies: ["RateLimitEngine", "RateLimitServiceSet", "PlugboardPlugin", "PlugboardCore"],
        path: "Plugins/RateLimitPlugin/Main"
    ),
    .target(
        name: "StreamSyncEngine",
        dependencies: ["StreamServiceSet", "PlugboardCore", grpcCore, .product(name: "Logging", package: "swift-log")],
        path: "Plugins/StreamPlugin/Engine"
    ),
    .executableTarget(
        name: "stream-plugin",
        dependencies: ["StreamSyncEngine", "StreamServiceSet", "PlugboardPlugin", "PlugboardCore"],
        path: "Plugins/StreamPlugin/Main"
    ),

    // MARK: Tests
    .target(name: "CPlugboardTestV1", dependencies: ["CProtobufC"], path: "Tests/Generated/CPlugboardTestV1"),
    .target(
        name: "PlugboardTestV1",
        dependencies: ["ProtobufC", "CProtobufC", "CPlugboardTestV1", grpcCore],
        path: "Tests/Generated/PlugboardTestV1"
    ),
    .target(
        name: "PlugboardTestSupport",
        dependencies: ["ProtobufC", "PlugboardTestV1", "PlugboardSystem", grpcCore],
        path: "Tests/Support"
    ),
    .target(name: "FuzzDriver", path: "Tests/FuzzDriver"),
    .executableTarget(
        name: "protobuf-fuzz",
        dependencies: ["ProtobufC", "PlugboardTestV1", "PlugboardTestSupport", "FuzzDriver"],
        path: "Tests/ProtobufCFuzz"
    ),
    .executableTarget(
        name: "transport-fuzz",
        dependencies: [
            "PlugboardTransport", "PlugboardTestSupport", "FuzzDriver",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOEmbedded", package: "swift-nio"),
        ],
        path: "Tests/TransportFuzz"
    ),
    .executableTarget(
        name: "protobuf-bench",
        dependencies: ["ProtobufC", "CProtobufC", "PlugboardTestV1", "PlugboardTestSupport"],
        path: "Tests/Benchmarks/ProtobufBench"
    ),
    .executableTarget(
        name: "bench-echo-plugin",
        dependencies: ["PlugboardPlugin", "PlugboardTestSupport", grpcCore],
        path: "Tests/Benchmarks/EchoPlugin"
    ),
    .executableTarget(
        name: "plugin-bench",
        dependencies: [
            "PlugboardHost", "PlugboardCore", "PlugboardObservability", "PlugboardTransport", "PlugboardSystem",
            "PlugboardTestSupport", "PlugboardTestV1", "ProtobufC", grpcCore,
            .product(name: "Logging", package: "swift-log"),
            .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOHPACK", package: "swift-nio-http2"),
            .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "Prometheus", package: "swift-prometheus"),
        ],
        path: "Tests/Benchmarks/PluginBench"
    ),
    .executableTarget(
        name: "cost-ladder",
        dependencies: [
            "PlugboardCore", "PlugboardSystem", "PlugboardTransport", "PlugboardTestSupport", "PlugboardTestV1",
            grpcCore, .product(name: "GRPCInProcessTransport", package: "grpc-swift-2"),
            .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHPACK", package: "swift-nio-http2"),
        ],
        path: "Tests/Benchmarks/CostLadder"
    ),
    .executableTarget(
        name: "plugboard-fixture",
        dependencies: [
            "PlugboardPlugin", "PlugboardCore", "PlugboardSystem", "PlugboardTransport", "PlugboardTestSupport",
            "PlugboardTestV1",
            "GoPluginProtos", grpcCore, .product(name: "Logging", package: "swift-log"),
            .product(name: "Tracing", package: "swift-distributed-tracing"),
            .product(name: "InMemoryTracing", package: "swift-distributed-tracing"),
        ],
        path: "Tests/Fixtures/FixturePlugin"
    ),
    .executableTarget(
        name: "attack-host", dependencies: ["PlugboardHost", "PlugboardSystem"], path: "Tests/Fixtures/AttackHost"),
    .testTarget(
        name: "PlugboardHostTests",
        dependencies: [
            "PlugboardHost", "PlugboardCore", "PlugboardConfig", "PlugboardTestSupport", "PlugboardTestV1",
            "PlugboardTesting", "PlugboardPlugin", "PlugboardTransport", "PlugboardBroker", "PlugboardSystem",
            "GoPluginProtos", "RateLimitServiceSet", "ProtobufC", grpcCore,
            .product(name: "Logging", package: "swift-log"),
            .product(name: "InMemoryLogging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "Prometheus", package: "swift-prometheus"),
            .product(name: "InMemoryTracing", package: "swift-distributed-tracing"),
        ]
    ),
    .testTarget(
        name: "RateLimitEngineTests",
        dependencies: [
            "RateLimitEngine", "RateLimitServiceSet", "PlugboardTestSupport", grpcCore,
            .product(name: "GRPCInProcessTransport", package: "grpc-swift-2"),
        ]
    ),
    .testTarget(
        name: "StreamSyncEngineTests",
        dependencies: [
            "StreamSyncEngine", "StreamServiceSet", grpcCore,
            .product(name: "GRPCInProcessTransport", package: "grpc-swift-2"),
        ]
    ),
    .testTarget(
        name: "ProtobufCTests",
        dependencies: [
            "ProtobufC", "PlugboardTestV1", "PlugboardTestSupport", "GoPluginProtos", grpcCore,
            .product(name: "GRPCInProcessTransport", package: "grpc-swift-2"),
        ]
    ),
    .testTarget(name: "PlugboardCodeGenTests", dependencies: ["PlugboardCodeGen"]),
    .testTarget(
        name: "PlugboardCoreTests",
        dependencies: ["PlugboardCore", .product(name: "Logging", package: "swift-log")]
    ),
    .testTarget(
        name: "PlugboardTransportTests",
        dependencies: [
            "PlugboardCore", "PlugboardSystem", "PlugboardTransport", "PlugboardTestSupport", "ProtobufC", grpcCore,
            .product(name: "GRPCNIOTransportHTTP2Posix", package: "grpc-swift-nio-transport"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOEmbedded", package: "swift-nio"),
            .product(name: "NIOHTTP2", package: "swift-nio-http2"),
        ]
    ),
]

// C targets ignore Swift settings, so every target gets the same ones (system libraries and
// plugins take none).
for index in targets.indices where targets[index].type != .system && targets[index].type != .plugin {
    targets[index].swiftSettings = (targets[index].swiftSettings ?? []) + swiftSettings
}

let package = Package(
    name: "Plugboard",
    platforms: [.macOS(.v15)],
    products: [
        // What a package that depends on Plugboard builds with (README: "Use Plugboard in your package").
        .library(name: "PlugboardPlugin", targets: ["PlugboardPlugin"]),
        .library(name: "PlugboardHost", targets: ["PlugboardHost"]),
        .library(name: "PlugboardConfig", targets: ["PlugboardConfig"]),
        .library(name: "PlugboardObservability", targets: ["PlugboardObservability"]),
        .library(name: "PlugboardTesting", targets: ["PlugboardTesting"]),
        .library(name: "ProtobufC", targets: ["ProtobufC"]),
        .library(name: "RateLimitServiceSet", targets: ["RateLimitServiceSet"]),
        .library(name: "StreamServiceSet", targets: ["StreamServiceSet"]),
        .executable(name: "plugboard", targets: ["plugboard"]),
        .executable(name: "protoc-gen-plugboard", targets: ["protoc-gen-plugboard"]),
        .plugin(name: "GeneratePlugboardCode", targets: ["GeneratePlugboardCode"]),
    ],
    dependencies: [
        .package(url: "https://github.com/grpc/grpc-swift-2", from: "2.4.3"),
        .package(url: "https://github.com/grpc/grpc-swift-nio-transport", from: "2.9.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-http2", from: "1.46.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-certificates", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-asn1", from: "1.7.4"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-distributed-tracing", from: "1.7.3"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"),
    ],
    targets: targets
)
