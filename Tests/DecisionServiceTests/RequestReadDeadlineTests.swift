@testable import DecisionService
#if canImport(Glibc)
import Glibc
#endif
import NIOCore
import NIOEmbedded
import NIOHTTP1
import XCTest

/// The slowloris deadline: bytes that complete no request (head and body) within the
/// timeout close the connection, on HTTP/1.1 and HTTP/2; a connection with nothing arriving,
/// or with a request awaiting its answer, is not timed. Most cases run the handlers every
/// accepted connection gets (`installConnectionHandlers`), NIO's HTTP codecs included.
final class RequestReadDeadlineTests: XCTestCase {
    /// A loopback listener a test opened, closed (awaited) after the test. Not a teardown
    /// block: XCTest keeps those, and what they capture, until the process ends.
    var openListener: HTTPListener?

    override func tearDown() async throws {
        await openListener?.close()
        openListener = nil
    }

    struct Always200: HTTPEndpoint {
        var transport: String { "test" }
        func reply(to head: HTTPRequestHead, peer: SocketAddress?) -> HTTPReply { HTTPReply(status: 200, body: "ok") }
        func badInputReply() -> HTTPReply { HTTPReply(status: 400, body: "refused") }
    }

    /// An answer that takes an hour (a decision waiting for a key set, say).
    struct AnswersLater: HTTPEndpoint {
        var transport: String { "test" }
        func reply(to head: HTTPRequestHead, peer: SocketAddress?) -> HTTPReply { HTTPReply(status: 200) }
        func answer(to head: HTTPRequestHead, peer: SocketAddress?) -> HTTPAnswer {
            .later {
                try? await Task.sleep(for: .seconds(3600))
                return HTTPReply(status: 200)
            }
        }
        func badInputReply() -> HTTPReply { HTTPReply(status: 400) }
    }

    func connection(_ endpoint: any HTTPEndpoint = Always200()) throws -> (EmbeddedChannel, EmbeddedEventLoop) {
        let loop = EmbeddedEventLoop()
        let channel = EmbeddedChannel(loop: loop)
        try HTTPListener.installConnectionHandlers(on: channel, endpoint: endpoint,
                                                   limits: HTTPListener.Limits(requestReadTimeout: .seconds(10)))
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        return (channel, loop)
    }

    func send(_ text: String, _ channel: EmbeddedChannel) throws {
        try send(Array(text.utf8), channel)
    }

    func send(_ bytes: [UInt8], _ channel: EmbeddedChannel) throws {
        try channel.writeInbound(channel.allocator.buffer(bytes: bytes))
    }

    /// Everything the server wrote so far, as text.
    func written(_ channel: EmbeddedChannel) throws -> String {
        var text = ""
        while let buffer = try channel.readOutbound(as: ByteBuffer.self) { text += String(buffer: buffer) }
        return text
    }

    func count(of needle: String, in text: String) -> Int { text.components(separatedBy: needle).count - 1 }

    // MARK: HTTP/1.1

    func testATrickledHeadIsClosedAtTheDeadlineFromItsFirstByte() throws {
        let (channel, loop) = try connection()
        loop.advanceTime(by: .seconds(30))
        XCTAssertTrue(channel.isActive, "no byte yet: only the idle timeout applies")
        try send("GET /auth HTTP/1.1\r\nX-Slow: ", channel)
        for _ in 0..<9 {
            loop.advanceTime(by: .seconds(1))
            try send("a", channel)  // a byte a second keeps it from being idle, not from the deadline
        }
        XCTAssertTrue(channel.isActive)
        loop.advanceTime(by: .milliseconds(1001))
        XCTAssertFalse(channel.isActive, "closed 10 s after the first byte")
    }

    func testATrickledBodyIsTimedToo() throws {
        let (channel, loop) = try connection()
        try send("POST /auth HTTP/1.1\r\nHost: a\r\nContent-Length: 20\r\n\r\n", channel)
        for _ in 0..<9 {
            loop.advanceTime(by: .seconds(1))
            try send("x", channel)
        }
        XCTAssertTrue(channel.isActive)
        XCTAssertEqual(try written(channel), "", "no answer before the body is complete")
        loop.advanceTime(by: .milliseconds(1001))
        XCTAssertFalse(channel.isActive, "a whole request, body included, within 10 s of its first byte")
    }

    func testAnsweredRequestsStopTheClockAndKeptAliveConnectionsStayOpen() throws {
        let (channel, loop) = try connection()
        try send("POST /auth HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\n", channel)
        loop.advanceTime(by: .seconds(5))
        try send("abc", channel)
        XCTAssertEqual(count(of: "HTTP/1.1 200 OK", in: try written(channel)), 1)
        loop.advanceTime(by: .seconds(60))
        XCTAssertTrue(channel.isActive, "kept alive between requests: the idle timeout's business")
        try send("GET /next", channel)
        loop.advanceTime(by: .seconds(9))
        XCTAssertTrue(channel.isActive)
        loop.advanceTime(by: .seconds(2))
        XCTAssertFalse(channel.isActive, "the next request's clock starts with its first byte")
    }

    func testPipelinedRequestsLeaveTheCountBalanced() throws {
        // Answers written at once: the count returns to zero (a later trickle is timed) and
        // never arms on a healthy connection. The re-entrant hand-over of answers written
        // later is `testPipelinedRequestsAnsweredLaterStillLeaveTheDeadlineArmed`'s.
        let (channel, loop) = try connection()
        let request = "GET /auth HTTP/1.1\r\nHost: a\r\n\r\n"
        try send(request + request + request, channel)
        XCTAssertEqual(count(of: "HTTP/1.1 200 OK", in: try written(channel)), 3)
        loop.advanceTime(by: .seconds(60))
        XCTAssertTrue(channel.isActive, "three answered requests: nothing in progress")
        try send(request + "POST /auth HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\n", channel)
        XCTAssertEqual(count(of: "HTTP/1.1 200 OK", in: try written(channel)), 1)
        loop.advanceTime(by: .seconds(3))
        // The POST's head arrived while the GET was in flight: its clock starts with the
        // first byte read after that answer.
        try send("y", channel)
        loop.advanceTime(by: .seconds(9))
        XCTAssertTrue(channel.isActive)
        loop.advanceTime(by: .milliseconds(1001))
        XCTAssertFalse(channel.isActive, "the pipelined request's unfinished body is timed")
    }

    /// An answer that takes a few milliseconds: NIO's pipelining handler holds the
    /// connection's next requests meanwhile and hands each over from inside the write of
    /// the previous answer's end.
    struct AnswersSoon: HTTPEndpoint {
        var transport: String { "test" }
        func reply(to head: HTTPRequestHead, peer: SocketAddress?) -> HTTPReply { HTTPReply(status: 200, body: "ok") }
        func answer(to head: HTTPRequestHead, peer: SocketAddress?) -> HTTPAnswer {
            .later {
                try? await Task.sleep(for: .milliseconds(20))
                return HTTPReply(status: 200, body: "ok")
            }
        }
        func badInputReply() -> HTTPReply { HTTPReply(status: 400) }
    }

    func testPipelinedRequestsAnsweredLaterStillLeaveTheDeadlineArmed() async throws {
        // Over a real loopback socket, as the re-entrant hand-over happens only when answers
        // are not written from inside the read (EmbeddedChannel with `.now` answers never
        // shows it): if an answer's end were reported after its write, the next request's
        // report would be taken for it, the count would stay above zero, and the trickle
        // below would never be timed.
        let listener = try await HTTPListener.bind(ListenAddress(host: "127.0.0.1", port: 0), name: "test", endpoint: AnswersSoon(),
                                                   limits: HTTPListener.Limits(idleTimeout: .seconds(60), requestReadTimeout: .milliseconds(500)))
        openListener = listener
        let port = try XCTUnwrap(listener.boundAddress?.port)
        let client = try LoopbackClient(port: port)
        defer { client.close() }
        let request = "GET /auth HTTP/1.1\r\nHost: a\r\n\r\n"
        try client.send(request + request + request)
        var answers = ""
        while count(of: "HTTP/1.1 200 OK", in: answers) < 3 {
            guard let more = try client.receive(timeoutMilliseconds: 5000) else { return XCTFail("closed after: \(answers)") }
            answers += more
        }
        try client.send("GET /auth HTTP/1.1\r\nX-Slow: ")
        let start = ContinuousClock.now
        while let more = try client.receive(timeoutMilliseconds: 5000) {
            XCTAssertEqual(more, "", "nothing more is answered")
            if more.isEmpty { break }
        }
        let waited = ContinuousClock.now - start
        XCTAssertTrue(client.sawEndOfStream, "a trickle after three pipelined answers is closed at the deadline")
        XCTAssertLessThan(waited, .seconds(4))
    }

    // MARK: HTTP/2 (prior knowledge)

    static let preface = Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8)

    static func frame(type: UInt8, flags: UInt8 = 0, stream: UInt32 = 0, payload: [UInt8] = []) -> [UInt8] {
        let length = UInt32(payload.count)
        return [UInt8(length >> 16 & 0xff), UInt8(length >> 8 & 0xff), UInt8(length & 0xff), type, flags,
                UInt8(stream >> 24 & 0x7f), UInt8(stream >> 16 & 0xff), UInt8(stream >> 8 & 0xff), UInt8(stream & 0xff)] + payload
    }

    static let settings = frame(type: 0x4)
    static let ping = frame(type: 0x6, payload: Array(repeating: 1, count: 8))
    /// `GET /` over http to `a` (HPACK static table entries 2, 6, 4 and 1), END_HEADERS | END_STREAM.
    static func getRequest(stream: UInt32) -> [UInt8] { frame(type: 0x1, flags: 0x5, stream: stream, payload: [0x82, 0x86, 0x84, 0x41, 0x01, 0x61]) }

    func testHTTP2PingsThatCompleteNoRequestAreClosedAtTheDeadline() throws {
        let (channel, loop) = try connection()
        try send(Self.preface + Self.settings, channel)
        for _ in 0..<9 {
            loop.advanceTime(by: .seconds(1))
            try send(Self.ping, channel)  // never idle, never a request
        }
        XCTAssertTrue(channel.isActive)
        loop.advanceTime(by: .milliseconds(1001))
        XCTAssertFalse(channel.isActive)
    }

    func testHTTP2RequestsStopTheClock() throws {
        let (channel, loop) = try connection()
        try send(Self.preface + Self.settings, channel)
        loop.advanceTime(by: .seconds(9))
        _ = try written(channel)  // the server's SETTINGS
        try send(Self.getRequest(stream: 1), channel)
        loop.run()
        let answer = try written(channel)
        XCTAssertTrue(answer.contains("ok"), "the stream was answered")
        loop.advanceTime(by: .seconds(60))
        XCTAssertTrue(channel.isActive, "a request arrived in time; nothing arrives since")
        try send(Self.getRequest(stream: 3), channel)
        loop.advanceTime(by: .seconds(60))
        XCTAssertTrue(channel.isActive)
        try send(Self.ping, channel)
        loop.advanceTime(by: .seconds(11))
        XCTAssertFalse(channel.isActive, "after the answers, bytes without a request start the clock again")
        _ = try? channel.finish()
    }

    func testAnHTTP2StreamResetWhileItsAnswerIsAwaitedNoLongerHoldsTheClock() throws {
        let (channel, loop) = try connection(AnswersLater())
        try send(Self.preface + Self.settings + Self.getRequest(stream: 1), channel)
        loop.advanceTime(by: .seconds(60))
        XCTAssertTrue(channel.isActive, "a request awaits its answer: not timed")
        try send(Self.frame(type: 0x3, stream: 1, payload: [0, 0, 0, 8]), channel)  // RST_STREAM, CANCEL
        loop.run()
        try send(Self.ping, channel)
        loop.advanceTime(by: .seconds(11))
        XCTAssertFalse(channel.isActive, "the reset stream's request no longer counts")
        _ = try? channel.finish()
    }

    func testAnHTTP2RequestNIOCannotConvertIsRefusedAtOnceAndTheConnectionGoesOn() throws {
        // `GET /` with a `host` header (HPACK literal, static name 38) but no `:authority`:
        // NIO's HTTP/2-to-HTTP/1 codec throws on it. Before, nothing was ever written.
        let (channel, loop) = try connection()
        try send(Self.preface + Self.settings, channel)
        _ = try written(channel)
        try send(Self.frame(type: 0x1, flags: 0x5, stream: 1, payload: [0x82, 0x86, 0x84, 0x66, 0x01, 0x61]), channel)
        loop.run()
        let refusal = try written(channel)
        XCTAssertTrue(refusal.contains("refused"), "the endpoint's 400 denial is written at once")
        XCTAssertFalse(refusal.contains("ok"))
        try send(Self.getRequest(stream: 3), channel)
        loop.run()
        XCTAssertTrue(try written(channel).contains("ok"), "the connection's next stream is answered")
        XCTAssertTrue(channel.isActive)
        _ = try? channel.finish()
    }
}

/// A blocking TCP client on 127.0.0.1, for the one test that needs a real socket.
final class LoopbackClient {
    let fd: Int32
    private(set) var sawEndOfStream = false

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    init(port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket: \(errno)") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 else {
            Glibc.close(fd)
            throw Failure(description: "connect: \(errno)")
        }
    }

    func send(_ text: String) throws {
        let bytes = Array(text.utf8)
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { throw Failure(description: "send: \(errno)") }
            sent += n
        }
    }

    /// What arrives within the timeout: nil when nothing did, "" at the end of the stream
    /// (or a reset).
    func receive(timeoutMilliseconds: Int32) throws -> String? {
        var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&poller, 1, timeoutMilliseconds) > 0 else { return nil }
        var buffer = [UInt8](repeating: 0, count: 4096)
        let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if n <= 0 {
            sawEndOfStream = true
            return ""
        }
        return String(decoding: buffer[..<n], as: UTF8.self)
    }

    func close() { Glibc.close(fd) }
}
