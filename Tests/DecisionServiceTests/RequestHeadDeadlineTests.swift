@testable import DecisionService
import NIOCore
import NIOEmbedded
import XCTest

/// The slowloris deadline: a request head must be complete `timeout` after its first
/// byte; a connection between requests, or speaking HTTP/2, is not timed.
final class RequestHeadDeadlineTests: XCTestCase {
    func channel() throws -> (EmbeddedChannel, EmbeddedEventLoop) {
        let loop = EmbeddedEventLoop()
        let channel = EmbeddedChannel(handler: RequestHeadDeadline(timeout: .seconds(10)), loop: loop)
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        return (channel, loop)
    }

    func send(_ text: String, _ channel: EmbeddedChannel) throws {
        try channel.writeInbound(channel.allocator.buffer(string: text))
        _ = try channel.readInbound(as: ByteBuffer.self)
    }

    func tell(_ event: RequestHeadDeadline.Event, _ channel: EmbeddedChannel) {
        channel.pipeline.triggerUserOutboundEvent(event, promise: nil)
    }

    func testATrickledHeadIsClosedAtTheDeadlineFromItsFirstByte() throws {
        let (channel, loop) = try channel()
        loop.advanceTime(by: .seconds(30))
        XCTAssertTrue(channel.isActive, "no byte yet: only the idle timeout applies")
        try send("GET /auth HT", channel)
        for _ in 0..<9 {
            loop.advanceTime(by: .seconds(1))
            try send("T", channel)  // a byte a second keeps it from being idle, not from the deadline
        }
        XCTAssertTrue(channel.isActive)
        loop.advanceTime(by: .milliseconds(1001))
        XCTAssertFalse(channel.isActive, "closed 10 s after the first byte")
    }

    func testACompleteHeadStopsTheClockUntilTheAnswerAndTheNextRequestStartsIt() throws {
        let (channel, loop) = try channel()
        try send("GET /auth HTTP/1.1\r\nHost: a\r\n\r\n", channel)
        tell(.headReceived, channel)
        loop.advanceTime(by: .seconds(60))
        XCTAssertTrue(channel.isActive, "a slow answer is not the client's head")
        try send("pipelined bytes while answering", channel)
        tell(.responseEnded, channel)
        loop.advanceTime(by: .seconds(60))
        XCTAssertTrue(channel.isActive, "kept alive between requests: the idle timeout's business")
        try send("GET /next", channel)
        loop.advanceTime(by: .seconds(9))
        XCTAssertTrue(channel.isActive)
        loop.advanceTime(by: .seconds(2))
        XCTAssertFalse(channel.isActive)
    }

    func testHTTP2ConnectionsAreNotTimed() throws {
        let (channel, loop) = try channel()
        try send("PRI * HTTP/2.0\r\n", channel)
        tell(.disable, channel)
        try send("\r\nSM\r\n\r\n", channel)
        loop.advanceTime(by: .seconds(60))
        XCTAssertTrue(channel.isActive)
        _ = try? channel.finish()
    }
}
