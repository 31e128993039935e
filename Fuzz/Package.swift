// swift-tools-version:6.0
//
// The libFuzzer executables: one per fuzz target, each a few lines calling libFuzzer's
// driver with its entry point in Targets/ (the root package's `FuzzTargets`, which `swift test` also runs on every
// seed and regression input). Built only by scripts/fuzz, with
// `-sanitize=fuzzer,address` on every Swift module, in its own scratch path
// (.build-fuzz); `swift build` of the root package never builds these.
import PackageDescription

let names = ["policy", "jws", "jwks", "json", "bundle", "request", "grpc", "forward-auth"]

let package = Package(
    name: "GatepassFuzz",
    dependencies: [.package(name: "Gatepass", path: "..")],
    targets: [
        // The declaration of libFuzzer's driver, which each executable's `@main` calls.
        .target(name: "FuzzDriver", path: "Driver"),
    ] + names.map { name in
        .executableTarget(
            name: "fuzz-\(name)",
            dependencies: ["FuzzDriver", .product(name: "GatepassFuzzTargets", package: "Gatepass")],
            path: "Executables/\(name)"
        )
    },
    swiftLanguageModes: [.v6]
)
