import FilegateGateway
import FilegateWire
import Logging
import NIOCore
import NIOEmbedded
import Testing

@testable import FilegateHTTP

/// A connection accepted but never handed to its task, as when the accept loop is cancelled with connections queued.
@Suite struct AcceptedConnectionTests {
    /// A connection as the listener makes it: wrapped before the channel is active, when NIO hands the writer over.
    static func accepted(on channel: NIOAsyncTestingChannel) async throws -> AcceptedConnection {
        try await channel.testingEventLoop.executeInContext {
            AcceptedConnection(
                channel: try NIOAsyncChannel(wrappingChannelSynchronously: channel),
                timer: ConnectionTimer(
                    channel: channel,
                    timeouts: ConnectionTimeouts(),
                    logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
                )
            )
        }
    }

    /// Dropped untaken, its `NIOAsyncChannel` would trap; the connection is closed instead.
    @Test func anOpenConnectionDroppedBeforeItsTaskIsClosed() async throws {
        let channel = NIOAsyncTestingChannel()
        let connection = try await Self.accepted(on: channel)
        try await channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 80))
        _ = consume connection
        #expect(try await Self.closes(channel, within: .seconds(10)))
    }

    /// Whether `channel` closes within `limit`.
    static func closes(_ channel: NIOAsyncTestingChannel, within limit: Duration) async throws -> Bool {
        let deadline = ContinuousClock.now + limit
        while channel.isActive, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(10))
        }
        return !channel.isActive
    }

    @Test func aTakenConnectionIsLeftToItsTask() async throws {
        let channel = NIOAsyncTestingChannel()
        let connection = try await Self.accepted(on: channel)
        try await channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 80))
        let taken = try #require(connection.take())
        #expect(connection.take() == nil)
        _ = consume connection
        #expect(channel.isActive)
        try await taken.executeThenClose { _, _ in }
        #expect(!channel.isActive)
    }
}
