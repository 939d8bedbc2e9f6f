// swift-tools-version: 6.0
import PackageDescription

// Layers, lowest first. A target only depends on targets below it:
// Kernel < Network < Database < Workload < Strategies < Scenario < Results < Report < CLI < hasim
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
        .target(name: "HasimResults", dependencies: [
            "HasimKernel", "HasimScenario",
            .product(name: "GRDB", package: "GRDB.swift"),
        ]),
        .target(name: "HasimReport", dependencies: ["HasimResults", "HasimScenario"]),
        .target(name: "HasimCLI", dependencies: [
            "HasimKernel", "HasimScenario", "HasimResults", "HasimReport", "HasimStrategies",
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
        .testTarget(name: "HasimResultsTests", dependencies: ["HasimResults", .product(name: "GRDB", package: "GRDB.swift")]),
        .testTarget(name: "HasimReportTests", dependencies: ["HasimReport", "HasimResults", "HasimCLI", "HasimScenario", "HasimKernel", .product(name: "GRDB", package: "GRDB.swift")], exclude: ["Fixtures"]),
        .testTarget(name: "HasimIntegrationTests", dependencies: ["HasimCLI", "HasimScenario", "HasimResults", "HasimStrategies", "HasimWorkload", "HasimDatabase", .product(name: "GRDB", package: "GRDB.swift")]),
    ]
)
