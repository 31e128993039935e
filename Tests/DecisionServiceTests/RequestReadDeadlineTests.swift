@testable import DecisionService
import NIOCore
import NIOEmbedded
import NIOHTTP1
import XCTest

/// The slowloris deadline: bytes that complete no request (head and body) within the
/// timeout close the connection, on HTTP/1.1 and HTTP/2; a connection with nothing arriving,
/// or with a request awaiting its answer, is not timed. Most cases run the handlers every
/// accepted connection gets (`installConnectionHandlers`), NIO's HTTP codecs included.
final class RequestReadDeadlineTests: XCTestCase {
    struct Always200: HTTPEndpoint {
        var transport: String { "test" }
        func reply(to head: HTTPRequestHead, peer: SocketAddress?) -> HTTPReply { HTTPReply(status: 200, body: "ok") }
        func badInputReply() -> HTTPReply { HTTPReply(status: 400) }
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
        // NIO's pipelining handler hands over the second request from inside the write of
        // the first answer, so the two report out of order; the count must still return to
        // zero (a later trickle is timed) and never arm on a healthy connection.
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
}
