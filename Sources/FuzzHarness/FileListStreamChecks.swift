import FilegateCore
import FilegateDialects
import NIOCore

/// `FileListStreamDecoder`, a dated backend's list read as it streams, with properties checked on any input.
enum FileListStreamChecks {
    /// What the decoder read: the files in order, or that it refused the body (on a feed or at `finish()`).
    private struct Outcome: Hashable, CustomStringConvertible {
        var files: [FileObject] = []
        var refused = false

        var description: String { "\(files.map(\.id))\(refused ? ", refused" : "")" }
    }

    /// Under the default and a small element limit: fed whole or split as `Cuts.splits` splits, the decoder reads
    /// the same files and refuses the same bodies; and when both it and `decodeList` accept a body, they read the
    /// same files.
    static func check(_ bytes: [UInt8]) throws(InvariantViolation) {
        let dialect = Dialect.azureLegacy(LegacyAPIVersion.oldest)
        for maxEntryBytes in [65536, 96] {
            let whole = decode([bytes[...]], dialect: dialect, maxEntryBytes: maxEntryBytes)
            for plan in Cuts.splits(of: bytes) {
                let again = decode(plan, dialect: dialect, maxEntryBytes: maxEntryBytes)
                try InvariantViolation.expectEqual(again, whole, "split feed")
            }
            if maxEntryBytes == 65536, !whole.refused, let list = try? dialect.decodeList(ByteBuffer(bytes: bytes)) {
                try InvariantViolation.expectEqual(whole.files, list.data, "streamed list = whole list")
            }
        }
    }

    private static func decode(_ pieces: [ArraySlice<UInt8>], dialect: Dialect, maxEntryBytes: Int) -> Outcome {
        var decoder = FileListStreamDecoder(dialect: dialect, maxEntryBytes: maxEntryBytes)
        var outcome = Outcome()
        do throws(GatewayError) {
            for piece in pieces {
                outcome.files += try decoder.feed(ByteBuffer(bytes: piece))
            }
            try decoder.finish()
        } catch {
            // A refused list fails whole, so the files read before the refusal (more of them when the refusal comes
            // in a later piece) do not count.
            return Outcome(files: [], refused: true)
        }
        return outcome
    }
}
