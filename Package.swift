// swift-tools-version:6.1
// Modules follow DESIGN.md's data path, top to bottom; each imports only modules listed below it.

import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "filegate",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "filegate", targets: ["filegate"]),
        // The pure modules and the fuzz harness, for the separate fuzz package in Fuzz/ (built only by `make fuzz`);
        // with the gateway's keyring, for the micro benchmark in bench/micro/ (built only by `make bench-micro`).
        .library(name: "FilegateCore", targets: ["FilegateCore"]),
        .library(name: "FilegateWire", targets: ["FilegateWire"]),
        .library(name: "FilegateDialects", targets: ["FilegateDialects"]),
        .library(name: "FilegateGateway", targets: ["FilegateGateway"]),
        .library(name: "FuzzHarness", targets: ["FuzzHarness"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
    ],
    targets: [
        .executableTarget(
            name: "filegate",
            dependencies: [
                "FilegateHTTP", "FilegateGateway", "FilegateRemote", "FilegateLocal", "FilegateDialects",
                "FilegateCore",
                "CFilegateSystem",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "FilegateHTTP",
            dependencies: [
                "FilegateGateway", "FilegateWire", "FilegateCore",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "FilegateGateway",
            dependencies: [
                "FilegateDialects", "FilegateWire", "FilegateCore",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "FilegateRemote",
            dependencies: [
                "FilegateDialects", "FilegateWire", "FilegateCore", "CFilegateCurl",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "FilegateLocal",
            dependencies: [
                "FilegateCore",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "FilegateDialects",
            dependencies: ["FilegateWire", "FilegateCore", .product(name: "NIOCore", package: "swift-nio")],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "FilegateWire",
            dependencies: ["CFilegateSystem", "FilegateCore", .product(name: "NIOCore", package: "swift-nio")],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "FilegateCore",
            dependencies: [.product(name: "NIOCore", package: "swift-nio")],
            swiftSettings: swiftSettings
        ),
        /// What each fuzz target does with its bytes and the invariants it checks; shared by the fuzz executable
        /// (Fuzz/) and the tests that replay the corpora, so neither keeps its own copy. Pure modules only.
        .target(
            name: "FuzzHarness",
            dependencies: [
                "FilegateDialects", "FilegateWire", "FilegateCore", .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(name: "CFilegateCurl", dependencies: ["CCurl"]),
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        /// glibc calls for the executable that Swift's Glibc module lacks (malloc tuning, the CPU affinity mask).
        .target(name: "CFilegateSystem"),

        .testTarget(
            name: "FilegateCoreTests",
            dependencies: ["FilegateCore", .product(name: "NIOCore", package: "swift-nio")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "FilegateWireTests",
            dependencies: [
                "FilegateWire", "FilegateCore", "FuzzHarness",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
            ],
            exclude: ["Fixtures"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "FilegateDialectsTests",
            dependencies: [
                "FilegateDialects", "FilegateWire", "FilegateCore", "FuzzHarness",
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "FilegateLocalTests",
            dependencies: [
                "FilegateLocal", "FilegateCore",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "FilegateGatewayTests",
            dependencies: [
                "FilegateGateway", "FilegateDialects", "FilegateWire", "FilegateCore",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            exclude: ["Fixtures"],
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "FilegateCLITests", swiftSettings: swiftSettings),
        .testTarget(
            name: "FilegateHTTPTests",
            dependencies: [
                "FilegateHTTP", "FilegateGateway", "FilegateWire", "FilegateCore",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "FilegateRemoteTests",
            dependencies: [
                "FilegateRemote", "FilegateWire", "FilegateCore",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
    ]
)
