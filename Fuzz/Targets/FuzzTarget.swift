/// The fuzz targets: one entry point each, shared by the libFuzzer executables in
/// `Fuzz/Executables` (built only by `scripts/fuzz`) and by `FuzzRegressionTests`, which
/// replays every committed seed and every input that ever crashed, without the fuzzer.
///
/// `run` returns nil when the input was handled as the project promises (refused cleanly
/// or decided consistently), or a description of the broken property; the fuzz
/// executables turn a description into a crash so that libFuzzer saves the input.
public enum FuzzTarget: String, CaseIterable, Sendable {
    /// Bytes as one policy file through the whole `check` pipeline, then compile and load.
    case policy
    /// Bytes as a compact JWS: `JWSToken.parse`, then verification under a fixed key set.
    case jws
    /// Bytes as a JWKS document: the validation `gatepass check` and key loading run.
    case jwks
    /// Bytes through the strict JOSE JSON parser, compared with Foundation's parser.
    case json
    /// Bytes as a decision bundle: load, then decide a few requests.
    case bundle
    /// Bytes split into host, target and headers: normalisation and a full decision.
    case request
    /// Bytes as an ext_authz `CheckRequest` protobuf: the gRPC handler's mapping and decision.
    case grpc
    /// Bytes as raw HTTP/1.1 (or h2c) from a gateway: NIO's parser and the forward-auth handler.
    case forwardAuth = "forward-auth"

    /// Runs one input; nil when every property held.
    public func run(_ bytes: [UInt8]) -> String? {
        switch self {
        case .policy: return PolicyTarget.run(bytes)
        case .jws: return JWSTarget.run(bytes)
        case .jwks: return JWKSTarget.run(bytes)
        case .json: return JSONTarget.run(bytes)
        case .bundle: return BundleTarget.run(bytes)
        case .request: return RequestTarget.run(bytes)
        case .grpc: return GRPCTarget.run(bytes)
        case .forwardAuth: return ForwardAuthTarget.run(bytes)
        }
    }

    /// The libFuzzer entry point's body: a broken property becomes a crash.
    public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
        let bytes = size > 0 && data != nil ? Array(UnsafeBufferPointer(start: data, count: size)) : []
        if let problem = run(bytes) {
            fatalError("fuzz target `\(rawValue)`: \(problem)")
        }
        return 0
    }

    /// The repository's root, found from this source file (the fuzz builds and the tests
    /// are always built from a checkout).
    public static let repositoryRoot: String = {
        var parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast(3)  // Fuzz/Targets/FuzzTarget.swift
        return parts.joined(separator: "/")
    }()
}
