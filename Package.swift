// swift-tools-version: 6.0
import PackageDescription

// Layers, lowest first. A target only depends on targets below it:
// Kernel < Network < Database < Workload < Strategies < Web < Scenario < Results < Report, Fleet < CLI < hasim
// Store (the SQLite schema and writer) needs only the kernel and GRDB: a report reads a
// database without the simulated world; Results measures a run and re-exports Store.

// The simulated world runs single-threaded: no two accesses to a model object's state can
// overlap, yet Swift checks exclusive access to every class `var` at run time
// (swift_beginAccess/endAccess and a thread-local access set: 30 % of the instructions of
// a 1,000 writes/s incident under callgrind). Release builds of the model layers skip the
// dynamic check; debug builds (the tests) keep it, so a real overlap still traps there.
// The tests run on debug builds, and unoptimised generic code (the columnar ledger, the
// stdlib's collections) made the simulation 4-5x slower there (docs/testing.md). The layers
// that simulate and measure are optimised in debug builds too; `-assert-config Debug` keeps
// `assert`, and exclusive access stays checked (only release turns it off). Tests keep
// `@testable import` (SwiftPM still passes -enable-testing) and the other layers stay -Onone.
let debugOptimized: [SwiftSetting] = [.unsafeFlags(["-O", "-assert-config", "Debug"], .when(configuration: .debug))]
let modelSettings: [SwiftSetting] = [
    .unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release)),
] + debugOptimized

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
        .target(name: "HasimKernel", swiftSettings: modelSettings),
        .target(name: "HasimNetwork", dependencies: ["HasimKernel"], swiftSettings: modelSettings),
        .target(name: "HasimDatabase", dependencies: ["HasimKernel", "HasimNetwork"], swiftSettings: modelSettings),
        .target(name: "HasimWorkload", dependencies: ["HasimKernel", "HasimNetwork", "HasimDatabase"], swiftSettings: modelSettings),
        .target(name: "HasimStrategies", dependencies: ["HasimKernel", "HasimNetwork", "HasimDatabase", "HasimWorkload"], swiftSettings: modelSettings),
        // The web tier (docs/web-tier.md): users, Apache + mod_jk, Tomcat; its programs are
        // processes on hosts like the HA daemons (Strategies' Daemon), above the database.
        .target(name: "HasimWeb", dependencies: ["HasimKernel", "HasimNetwork", "HasimDatabase", "HasimWorkload", "HasimStrategies"],
                swiftSettings: modelSettings),
        .target(name: "HasimScenario", dependencies: [
            "HasimKernel", "HasimNetwork", "HasimDatabase", "HasimWorkload", "HasimStrategies", "HasimWeb",
            .product(name: "Yams", package: "Yams"),
        ], swiftSettings: modelSettings),
        .target(name: "HasimStore", dependencies: [
            "HasimKernel",
            .product(name: "GRDB", package: "GRDB.swift"),
        ]),
        .target(name: "HasimResults", dependencies: [
            "HasimKernel", "HasimNetwork", "HasimDatabase", "HasimWorkload", "HasimStrategies", "HasimWeb", "HasimScenario", "HasimStore",
            .product(name: "Histogram", package: "hdrhistogram-swift"),
        ], swiftSettings: debugOptimized),
        .target(name: "HasimReport", dependencies: ["HasimStore", "HasimScenario"]),
        // Fleet-years: the fault processes over a year composed with incident windows run by
        // the scenario runner (docs/fleet.md). Above Results (it measures windows), below the CLI.
        .target(name: "HasimFleet", dependencies: ["HasimKernel", "HasimScenario", "HasimResults", "HasimStore"], swiftSettings: debugOptimized),
        .target(name: "HasimCLI", dependencies: [
            "HasimKernel", "HasimScenario", "HasimStore", "HasimResults", "HasimReport", "HasimStrategies", "HasimFleet",
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
        .testTarget(name: "HasimFleetTests", dependencies: ["HasimFleet", "HasimScenario", "HasimKernel", "HasimCLI", .product(name: "GRDB", package: "GRDB.swift")]),
        .testTarget(name: "HasimIntegrationTests", dependencies: [
            "HasimCLI", "HasimScenario", "HasimResults", "HasimStrategies", "HasimWorkload", "HasimDatabase",
            .product(name: "GRDB", package: "GRDB.swift"), .product(name: "Yams", package: "Yams"),
            .product(name: "PropertyBased", package: "swift-property-based"),
        ]),
    ]
)
