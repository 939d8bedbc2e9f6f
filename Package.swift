// swift-tools-version: 6.0
import PackageDescription

// Layers, lowest first. A target only depends on targets below it:
// Kernel < Network < Database < Workload < Strategies < Scenario < Results < Report < CLI < hasim
// Store (the SQLite schema and writer) needs only the kernel and GRDB: a report reads a
// database without the simulated world; Results measures a run and re-exports Store.
let package = Package(
    name: "hasim",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "hasim", targets: ["hasim"]),
        .library(name: "HasimCLI", targets: ["HasimCLI"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.0.0"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.2.0"),
        .package(url: "https://github.com/x-sheep/swift-property-based", from: "2.0.0"),
    ],
    targets: [
        .target(name: "HasimKernel"),
        .target(name: "HasimNetwork", dependencies: ["HasimKernel"]),
        .target(name: "HasimDatabase", dependencies: ["HasimKernel", "HasimNetwork"]),
        .target(name: "HasimWorkload", dependencies: ["HasimKernel", "HasimNetwork", "HasimDatabase"]),
        .target(name: "HasimStrategies", dependencies: ["HasimKernel", "HasimNetwork", "HasimDatabase", "HasimWorkload"]),
        .target(name: "HasimScenario", dependencies: [
            "HasimKernel", "HasimNetwork", "HasimDatabase", "HasimWorkload", "HasimStrategies",
            .product(name: "Yams", package: "Yams"),
        ]),
        .target(name: "HasimStore", dependencies: [
            "HasimKernel",
            .product(name: "GRDB", package: "GRDB.swift"),
        ]),
        .target(name: "HasimResults", dependencies: [
            "HasimKernel", "HasimNetwork", "HasimDatabase", "HasimWorkload", "HasimStrategies", "HasimScenario", "HasimStore",
            .product(name: "Histogram", package: "hdrhistogram-swift"),
        ]),
        .target(name: "HasimReport", dependencies: ["HasimStore", "HasimScenario"]),
        .target(name: "HasimCLI", dependencies: [
            "HasimKernel", "HasimScenario", "HasimStore", "HasimResults", "HasimReport", "HasimStrategies",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .executableTarget(name: "hasim", dependencies: ["HasimCLI"]),
        // The scenario loader's fuzz target (scripts/fuzz builds it under libFuzzer);
        // a normal build makes it a replayer of the committed corpus.
        .executableTarget(name: "HasimFuzz", dependencies: ["HasimScenario"]),
        .testTarget(name: "HasimKernelTests", dependencies: ["HasimKernel"]),
        .testTarget(name: "HasimNetworkTests", dependencies: ["HasimKernel", "HasimNetwork"]),
        .testTarget(name: "HasimDatabaseTests", dependencies: ["HasimKernel", "HasimNetwork", "HasimDatabase", "HasimWorkload"]),
        .testTarget(name: "HasimScenarioTests", dependencies: ["HasimScenario", "HasimStrategies"], exclude: ["Fixtures"]),
        .testTarget(name: "HasimResultsTests", dependencies: ["HasimResults", "HasimStore", "HasimScenario", "HasimWorkload", "HasimDatabase", "HasimKernel", "HasimCLI", .product(name: "GRDB", package: "GRDB.swift")]),
        .testTarget(name: "HasimReportTests", dependencies: ["HasimReport", "HasimStore", "HasimResults", "HasimCLI", "HasimScenario", "HasimKernel", .product(name: "GRDB", package: "GRDB.swift")], exclude: ["Fixtures"]),
        .testTarget(name: "HasimIntegrationTests", dependencies: [
            "HasimCLI", "HasimScenario", "HasimResults", "HasimStrategies", "HasimWorkload", "HasimDatabase",
            .product(name: "GRDB", package: "GRDB.swift"), .product(name: "Yams", package: "Yams"),
            .product(name: "PropertyBased", package: "swift-property-based"),
        ]),
    ]
)
