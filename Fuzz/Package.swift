// swift-tools-version:6.1
// filegate's libFuzzer targets, kept out of the main package so its builds and CI never compile them: the fuzz
// executable only links with `-sanitize=fuzzer`. Built and run by `make fuzz` (see ../Makefile and README.md).

import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "filegate-fuzz",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "filegate-fuzz", targets: ["FilegateFuzz"])
    ],
    dependencies: [
        .package(name: "filegate", path: "..")
    ],
    targets: [
        .executableTarget(
            name: "FilegateFuzz",
            dependencies: ["CFuzzerDriver", .product(name: "FuzzHarness", package: "filegate")],
            swiftSettings: swiftSettings,
            // The system's gold fails on AddressSanitizer's objects; the toolchain's lld links them.
            linkerSettings: [.unsafeFlags(["-use-ld=lld"])]
        ),
        /// libFuzzer's `LLVMFuzzerRunDriver`, declared for Swift; the symbol comes from `-sanitize=fuzzer`.
        .target(name: "CFuzzerDriver"),
    ]
)
