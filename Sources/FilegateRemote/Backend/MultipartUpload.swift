import FilegateCore
import NIOCore

/// The upstream create body: the form's fields and file head, the file's bytes as they stream in, the close.
struct MultipartUpload: AsyncSequence, Sendable {
    typealias Element = ByteBuffer

    let prefix: ByteBuffer
    let content: Body
    let suffix: ByteBuffer

    struct AsyncIterator: AsyncIteratorProtocol {
        enum Stage {
            case prefix
            case content
            case done
        }

        let prefix: ByteBuffer
        var content: Body.AsyncIterator
        let suffix: ByteBuffer
        var stage = Stage.prefix

        mutating func next() async throws -> ByteBuffer? {
            switch stage {
            case .prefix:
                stage = .content
                return prefix
            case .content:
                if let chunk = try await content.next() { return chunk }
                stage = .done
                return suffix
            case .done:
                return nil
            }
        }
    }

    func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(prefix: prefix, content: content.makeAsyncIterator(), suffix: suffix)
    }
}
