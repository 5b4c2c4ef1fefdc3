import FilegateWire
import NIOConcurrencyHelpers
import NIOCore

/// An accepted connection on its way from the listener to its task: the channel and the timer its parser reports to.
///
/// Connections wait in the listener's queue until the accept loop takes them. When that loop is cancelled (a test
/// ending, a service group cancelling its services) the queue is dropped, and a `NIOAsyncChannel` dropped before its
/// `executeThenClose` traps, in release builds too (`NIOAsyncWriter`'s `preconditionFailure`). One never taken is
/// closed instead.
final class AcceptedConnection: Sendable {
    let timer: ConnectionTimer
    private let channel: NIOLockedValueBox<NIOAsyncChannel<RequestEvent, ByteBuffer>?>

    init(channel: NIOAsyncChannel<RequestEvent, ByteBuffer>, timer: ConnectionTimer) {
        self.channel = NIOLockedValueBox(channel)
        self.timer = timer
    }

    /// The channel, for the task that serves it; nil after the first call.
    func take() -> NIOAsyncChannel<RequestEvent, ByteBuffer>? {
        channel.withLockedValue { $0.take() }
    }

    deinit {
        guard let channel = take() else { return }
        Task { try? await channel.executeThenClose { _, _ in } }
    }
}
