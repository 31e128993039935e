import BundleFormat
@testable import DecisionService
import XCTest

/// OCI references and the bundle artifact's manifest: what `gatepass publish` writes is
/// what `gatepassd --bundle-oci` reads, and anything else is refused with a reason.
final class OCISourceTests: XCTestCase {
    func testReferencesNameRegistryRepositoryAndTagOrDigest() throws {
        let tagged = try OCIReference(parsing: "127.0.0.1:5000/acme/policies:prod")
        XCTAssertEqual(tagged.registry, "127.0.0.1:5000")
        XCTAssertEqual(tagged.repository, "acme/policies")
        XCTAssertEqual(tagged.reference, "prod")
        XCTAssertEqual(tagged.scheme, "http", "loopback registries speak plain HTTP")
        XCTAssertEqual(tagged.url("manifests/prod"), "http://127.0.0.1:5000/v2/acme/policies/manifests/prod")
        let digest = "sha256:" + String(repeating: "ab", count: 32)
        let pinned = try OCIReference(parsing: "ghcr.io/acme/policies@\(digest)")
        XCTAssertTrue(pinned.isDigest)
        XCTAssertEqual(pinned.scheme, "https")
        XCTAssertEqual(pinned.description, "ghcr.io/acme/policies@\(digest)")
        XCTAssertEqual(try OCIReference(parsing: "localhost:5000/p:v1").scheme, "http")
        XCTAssertEqual(try OCIReference(parsing: "[::1]:5000/p:v1").scheme, "http")
        XCTAssertEqual(try OCIReference(parsing: "127.0.0.1.example.com/p:v1").scheme, "https")

        for bad in ["policies:prod", "ghcr.io/acme/policies", "ghcr.io/Acme/policies:prod", "ghcr.io/acme//policies:prod",
                    "ghcr.io/acme/policies@sha256:abc", "ghcr.io/acme/policies:-bad", "ghcr.io/acme/policies:", "ghcr.io/:x",
                    "user@ghcr.io/acme/p:v1"] {
            XCTAssertThrowsError(try OCIReference(parsing: bad), bad)
        }
    }

    func testTheManifestIsDeterministicAndReadBack() throws {
        let bundle: [UInt8] = Array("GPBundle bytes".utf8)
        let manifest = OCIArtifact.manifest(bundle: bundle, revision: "rev-\"1\"")
        XCTAssertEqual(manifest, OCIArtifact.manifest(bundle: bundle, revision: "rev-\"1\""))
        let layer = try OCIBundleSource.bundleLayer(manifest, location: "test", maxBytes: 1 << 20)
        XCTAssertEqual(layer.digest, OCIArtifact.digest(bundle))
        XCTAssertEqual(layer.size, bundle.count)
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(manifest)) as? [String: Any])
        XCTAssertEqual(json["artifactType"] as? String, OCIArtifact.artifactType)
        XCTAssertEqual((json["annotations"] as? [String: String])?[OCIArtifact.revisionAnnotation], "rev-\"1\"")
        XCTAssertEqual((json["config"] as? [String: Any])?["digest"] as? String,
                       "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a", "the OCI empty descriptor")
    }

    func testManifestsThatAreNotOneBundleLayerAreRefused() {
        let digest = "sha256:" + String(repeating: "0", count: 64)
        let layer = #"{"mediaType":"application/vnd.gatepass.bundle.v1","digest":"\#(digest)","size":10}"#
        let cases: [(String, String)] = [
            ("not json", "not valid JSON"),
            (#"{"mediaType":"application/vnd.docker.distribution.manifest.v2+json","layers":[\#(layer)]}"#, "not an OCI image manifest"),
            (#"{"mediaType":"application/vnd.oci.image.manifest.v1+json","layers":[]}"#, "exactly one layer"),
            (#"{"mediaType":"application/vnd.oci.image.manifest.v1+json","layers":[\#(layer),\#(layer)]}"#, "exactly one layer"),
            (#"{"mediaType":"application/vnd.oci.image.manifest.v1+json","layers":[{"mediaType":"application/vnd.gatepass.bundle.v1","digest":"md5:x","size":1}]}"#, "no sha256 digest"),
            (#"{"mediaType":"application/vnd.oci.image.manifest.v1+json","layers":[{"mediaType":"application/vnd.gatepass.bundle.v1","digest":"\#(digest)","size":-1}]}"#, "no valid size"),
            (#"{"mediaType":"application/vnd.oci.image.manifest.v1+json","layers":[{"mediaType":"application/vnd.gatepass.bundle.v1","digest":"\#(digest)","size":99999999}]}"#, "over the limit"),
        ]
        for (manifest, expected) in cases {
            XCTAssertThrowsError(try OCIBundleSource.bundleLayer(Array(manifest.utf8), location: "test", maxBytes: 1 << 20), manifest) { error in
                XCTAssertTrue("\(error)".contains(expected), "\(error) should say \(expected)")
            }
        }
    }

    func testChallengesAndURLsAreReadStrictly() {
        let parameters = OCIBundleSource.challengeParameters(#"realm="https://auth.example.com/token",service="registry.example.com",scope="repository:a/b:pull""#)
        XCTAssertEqual(parameters.map(\.0), ["realm", "service", "scope"])
        XCTAssertEqual(parameters[2].1, "repository:a/b:pull")
        XCTAssertEqual(OCIBundleSource.base64(Array("user:pass".utf8)), "dXNlcjpwYXNz")
        XCTAssertEqual(OCIBundleSource.base64(Array("ab".utf8)), "YWI=")
        XCTAssertEqual(OCIBundleSource.resolve("/v2/x/blobs/y", against: "http://127.0.0.1:5000/v2/x/blobs/z"), "http://127.0.0.1:5000/v2/x/blobs/y")
        XCTAssertEqual(RemoteFetcher.redacted("https://user:pw@example.com/b.gpb?token=s"), "https://…@example.com/b.gpb?…")
        XCTAssertNil(RemoteFetcher.schemeAndHost("ftp://example.com/x"))
        XCTAssertThrowsError(try HTTPBundleSource(url: "http://bundles.example.com/b.gpb", fetcher: RemoteFetcher(client: .shared)))
        XCTAssertNoThrow(try HTTPBundleSource(url: "http://127.0.0.1:8080/b.gpb", fetcher: RemoteFetcher(client: .shared)))
        XCTAssertTrue(isLoopbackHost("127.0.0.1") && isLoopbackHost("[::1]") && isLoopbackHost("localhost"))
        XCTAssertTrue(isLoopbackHost("127.10.0.250") && isLoopbackHost("127.0.0.0"))
        XCTAssertFalse(isLoopbackHost("127.0.0.1.nip.io") || isLoopbackHost("10.0.0.1"))
        for name in ["127.+0.0.1", "127.0.0.-1", "127.0.0.256", "127.0..1", "127.0.0.0001", "127.0.0.1 ", "127.0.0.08", "127.00.0.1", "0127.0.0.1"] {
            XCTAssertFalse(isLoopbackHost(name), name)
        }
    }
}
