// swift-tools-version:6.0
//
// The package layout follows the compiler pipeline:
//
//   FrontEnd (YAML -> AST, with Diagnostics)  ->  Compiler (checker, lowering, emitter)
//        -> BundleFormat  <-  Runtime (decides requests; JOSE + OpenSSL only)
//
// `JOSE` and the runtime never depend on the front end, libyaml or the compiler.
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "Gatepass",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "gatepass", targets: ["gatepass"]),
        .library(name: "JOSE", targets: ["JOSE"]),
        .library(name: "GatepassRuntime", targets: ["Runtime"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // System libraries, found with pkg-config.
        .systemLibrary(
            name: "CYAML",
            pkgConfig: "yaml-0.1",
            providers: [.apt(["libyaml-dev"]), .brew(["libyaml"])]
        ),
        .systemLibrary(
            name: "COpenSSL",
            pkgConfig: "libcrypto",
            providers: [.apt(["libssl-dev"]), .brew(["openssl@3"])]
        ),

        // The revision a release binary was built from (set by scripts/release).
        .target(name: "CBuildInfo"),

        // Source files, locations and diagnostics: no dependencies at all.
        .target(name: "Diagnostics", swiftSettings: swiftSettings),

        // Front end: YAML (libyaml events) -> located node tree -> policy AST.
        .target(name: "FrontEnd", dependencies: ["CYAML", "Diagnostics"], swiftSettings: swiftSettings),

        // JOSE: keys and token verification on OpenSSL 3. No Foundation, no front end.
        .target(name: "JOSE", dependencies: ["COpenSSL"], swiftSettings: swiftSettings),

        // Signing tokens with keys generated on the spot: `gatepass test`, benchmarks, tests.
        .target(name: "TokenSigning", dependencies: ["JOSE", "COpenSSL"], swiftSettings: swiftSettings),

        // Benchmarks shared by `gatepass bench` and a brief correctness test (never timed in tests).
        .target(
            name: "Benchmarks",
            dependencies: ["JOSE", "COpenSSL", "Runtime", "BundleFormat", "Compiler", "FrontEnd", "Diagnostics", "TokenSigning"],
            swiftSettings: swiftSettings
        ),

        // The decision bundle: the lowered program and its binary format, shared by compiler and runtime.
        .target(name: "BundleFormat", dependencies: ["COpenSSL"], swiftSettings: swiftSettings),

        // Runtime: loads bundles and decides requests. Bundle format, JOSE and OpenSSL only.
        .target(name: "Runtime", dependencies: ["BundleFormat", "JOSE", "COpenSSL"], swiftSettings: swiftSettings),

        // Compiler: checker (structure is done by the front end; keys, claims, rules, the set).
        .target(name: "Compiler", dependencies: ["FrontEnd", "JOSE", "Diagnostics", "BundleFormat"], swiftSettings: swiftSettings),

        // Policy tests: runs `*.test.yaml` cases against compiled policies with generated test keys.
        .target(
            name: "PolicyTesting",
            dependencies: ["Compiler", "FrontEnd", "Runtime", "JOSE", "BundleFormat", "Diagnostics", "TokenSigning"],
            swiftSettings: swiftSettings
        ),

        // The command-line tool.
        .executableTarget(
            name: "gatepass",
            dependencies: [
                "Compiler", "FrontEnd", "Diagnostics", "BundleFormat", "Runtime", "JOSE", "PolicyTesting", "Benchmarks", "CBuildInfo",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: swiftSettings
        ),

        // Helpers shared by the test targets (marked source locations, a seeded generator).
        .target(name: "TestSupport", dependencies: ["Diagnostics"], path: "Tests/Support", swiftSettings: swiftSettings),

        .testTarget(name: "DiagnosticsTests", dependencies: ["Diagnostics", "TestSupport"], swiftSettings: swiftSettings),
        .testTarget(name: "FrontEndTests", dependencies: ["FrontEnd", "Diagnostics", "TestSupport"], swiftSettings: swiftSettings),
        .testTarget(name: "JOSETests", dependencies: ["JOSE", "Benchmarks", "TokenSigning"], exclude: ["Fixtures"], swiftSettings: swiftSettings),
        .testTarget(
            name: "CompilerTests",
            dependencies: ["Compiler", "FrontEnd", "Diagnostics", "TestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "BundleFormatTests", dependencies: ["BundleFormat", "TestSupport"], swiftSettings: swiftSettings),
        .testTarget(name: "RuntimeTests", dependencies: ["Runtime", "BundleFormat", "JOSE", "Compiler", "Diagnostics", "TokenSigning", "TestSupport"], swiftSettings: swiftSettings),
        .testTarget(name: "CLITests", dependencies: ["gatepass", "Diagnostics", "BundleFormat"], swiftSettings: swiftSettings),
    ],
    swiftLanguageModes: [.v6]
)
