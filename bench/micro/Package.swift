// swift-tools-version:6.1
// filegate's per-request pieces timed alone, kept out of the main package so its builds and CI never compile it.
// Built in release and run by `make bench-micro` (bench/micro.sh; see ../../Makefile and README.md).

import PackageDescription

let package = Package(
    name: "filegate-micro",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "filegate-micro", targets: ["FilegateMicro"])
    ],
    dependencies: [
        .package(name: "filegate", path: "../.."),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
    ],
    targets: [
        .executableTarget(
            name: "FilegateMicro",
            dependencies: [
                .product(name: "FilegateCore", package: "filegate"),
                .product(name: "FilegateWire", package: "filegate"),
                .product(name: "FilegateDialects", package: "filegate"),
                .product(name: "FilegateGateway", package: "filegate"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        )
    ]
)
