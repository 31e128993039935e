import COpenSSL

/// Message digests fetched from the default provider once per process.
///
/// Explicitly fetched `EVP_MD` objects avoid the implicit fetch OpenSSL 3 performs on
/// every `EVP_DigestVerifyInit` with `EVP_sha256()`; they are immutable and shareable.
enum Digests {
    nonisolated(unsafe) static let sha256: OpaquePointer = fetch("SHA2-256")
    nonisolated(unsafe) static let sha384: OpaquePointer = fetch("SHA2-384")
    nonisolated(unsafe) static let sha512: OpaquePointer = fetch("SHA2-512")

    private static func fetch(_ name: String) -> OpaquePointer {
        guard let md = EVP_MD_fetch(nil, name, nil) else {
            fatalError("OpenSSL default provider lacks \(name)")
        }
        return md
    }

    /// The digest an algorithm hashes with (`nil` for EdDSA).
    static func digest(for algorithm: JWSAlgorithm) -> OpaquePointer? {
        switch algorithm.hashLength {
        case 32: return sha256
        case 48: return sha384
        case 64: return sha512
        default: return nil
        }
    }

    /// SHA-256 of `bytes`, used for RFC 7638 thumbprints.
    static func sha256(_ bytes: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        let ok = bytes.withUnsafeBufferPointer { input in
            out.withUnsafeMutableBufferPointer { output in
                EVP_Digest(input.baseAddress, input.count, output.baseAddress, &length, sha256, nil)
            }
        }
        precondition(ok == 1 && length == 32, "SHA-256 failed")
        return out
    }
}
