// swift-tools-version:6.0
//
// The package layout follows the compiler pipeline:
//
//   FrontEnd (YAML -> AST, with Diagnostics)  ->  Compiler (checker, lowering, emitter)
//        -> BundleFormat  <-  Runtime (decides requests; JOSE + OpenSSL only)
//
// `JOSE` and the runtime never depend on the front end, libyaml or the compiler.
//
// The decision service is a separate executable, `gatepassd`:
//
//   ExtAuthzProto (generated from Protos/)  ->  DecisionService (one adapter per protocol
//        over Runtime)  ->  gatepassd (flags, listeners, lifecycle)
//
// Only these targets use SwiftNIO, gRPC and swift-protobuf, so `gatepass` builds without them.
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
        .executable(name: "gatepassd", targets: ["gatepassd"]),
        .executable(name: "gatepass-publish", targets: ["gatepass-publish"]),
        // The fuzz targets' entry points, for the separate package in Fuzz/ (built only by
        // scripts/fuzz, with libFuzzer and ASan): a package can use another's targets only
        // through a product. Not part of any release.
        .library(name: "GatepassFuzzTargets", targets: ["FuzzTargets"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        // Runtime: an atomic strong reference to each remote entry's key-set generation, so
        // a decision reads the keys in use without a lock (the standard library's
        // Synchronization has no atomic class reference). SwiftNIO depends on it too.
        .package(url: "https://github.com/apple/swift-atomics", from: "1.3.0"),
        // The decision service only.
        .package(url: "https://github.com/grpc/grpc-swift-2", from: "2.4.3"),
        .package(url: "https://github.com/grpc/grpc-swift-nio-transport", from: "2.9.2"),
        .package(url: "https://github.com/grpc/grpc-swift-protobuf", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-http2", from: "1.46.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
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
        .target(
            name: "Runtime",
            dependencies: ["BundleFormat", "JOSE", "COpenSSL", .product(name: "Atomics", package: "swift-atomics")],
            swiftSettings: swiftSettings
        ),

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

        // `gatepass publish`: pushes a bundle to an OCI registry. A program of its own, since
        // its HTTP client (Foundation's URLSession) links libcurl, which `gatepass` must not need.
        .executableTarget(
            name: "gatepass-publish",
            dependencies: ["BundleFormat", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            swiftSettings: swiftSettings
        ),

        // Generated by scripts/generate-protos from Protos/ (swift-protobuf messages, grpc-swift 2 stubs).
        .target(
            name: "ExtAuthzProto",
            dependencies: [
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "GRPCProtobuf", package: "grpc-swift-protobuf"),
            ],
            exclude: ["PROTO-SHA256"]
        ),

        // The decision core and one adapter per protocol (Envoy gRPC and HTTP, forward auth, admin).
        .target(
            name: "DecisionService",
            dependencies: [
                "Runtime", "BundleFormat", "JOSE", "ExtAuthzProto",
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "GRPCProtobuf", package: "grpc-swift-protobuf"),
                .product(name: "GRPCNIOTransportHTTP2Posix", package: "grpc-swift-nio-transport"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOHTTP2", package: "swift-nio-http2"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: swiftSettings
        ),

        // The decision service executable.
        .executableTarget(
            name: "gatepassd",
            dependencies: [
                "DecisionService", "Runtime", "BundleFormat",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: swiftSettings
        ),

        // One entry point per fuzz target (Fuzz/Targets): shared by the libFuzzer executables
        // of Fuzz/Package.swift and by FuzzRegressionTests, which replays the committed seeds
        // and every input that ever crashed without the fuzzer.
        .target(
            name: "FuzzTargets",
            dependencies: [
                "Compiler", "FrontEnd", "Diagnostics", "BundleFormat", "Runtime", "JOSE", "DecisionService", "ExtAuthzProto",
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Fuzz/Targets",
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
        .testTarget(name: "CLITests", dependencies: ["gatepass", "gatepass-publish", "Diagnostics", "BundleFormat"], swiftSettings: swiftSettings),
        .testTarget(
            name: "DecisionServiceTests",
            dependencies: [
                "DecisionService", "ExtAuthzProto", "Runtime", "BundleFormat", "Compiler", "Diagnostics", "TokenSigning", "JOSE",
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "GRPCProtobuf", package: "grpc-swift-protobuf"),
                .product(name: "GRPCNIOTransportHTTP2Posix", package: "grpc-swift-nio-transport"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "FuzzRegressionTests", dependencies: ["FuzzTargets"], swiftSettings: swiftSettings),
        // The running service: starts the built `gatepassd` on loopback (the test builds depend on it).
        .testTarget(
            name: "GatepassdTests",
            dependencies: [
                "gatepassd", "gatepass", "ExtAuthzProto", "BundleFormat", "Compiler", "Diagnostics", "TokenSigning", "JOSE",
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "GRPCProtobuf", package: "grpc-swift-protobuf"),
                .product(name: "GRPCNIOTransportHTTP2Posix", package: "grpc-swift-nio-transport"),
            ],
            swiftSettings: swiftSettings
        ),
    ],
    swiftLanguageModes: [.v6]
)
