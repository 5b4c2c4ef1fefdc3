public import FilegateCore

/// filegate's paging over a backend list that has none (DESIGN.md "Paging a backend without paging"), with the
/// local backend's semantics and memory O(limit).
///
/// A dated backend lists every file, in an order of its own choosing. The pager is handed each entry as the list
/// streams (`consider(_:)`) and answers the page a `ListQuery` asks for (`outcome()`), as the local backend would:
/// entries of `query.purpose` (any purpose when `nil`), ordered by `(created_at, id)` ascending or descending
/// (`id` stands in for the local backend's insertion sequence, which a backend's list does not have), those strictly
/// after the entry named `after` in that order, `limit` of them (clamped to `ListQuery.limitRange`), `hasMore` when
/// more than `limit` follow. The cursor is looked up among entries of every purpose; an `after` the list does not
/// hold gives an empty page with `hasMore` false, never a restart from the top (DESIGN.md "Lists on the dated root").
///
/// # The algorithm
///
/// A *candidate* is an entry of the purpose asked for that lies past the cursor's key (every entry of the purpose
/// when there is no `after`). The pager keeps at most `limit + 1` entries:
///
/// - Once the cursor's key is known (or with no `after`), a heap holds the `limit + 1` first candidates seen so far in
///   the page's order, its top the last of them. A new candidate goes in; when that makes `limit + 2`, the top goes
///   out. An entry that goes out has `limit + 1` candidates before it, so it is not among the first `limit + 1`
///   candidates of the whole list, and neither is anything after it: at the end the heap holds exactly the first
///   `limit + 1` candidates of the list (all of them when there are fewer), which make the page and `hasMore`.
/// - Before the cursor is seen, an entry of the purpose cannot be classified: it is a candidate exactly when the
///   cursor, still to come, lies before it. So the pager buffers those entries as they are, up to `limit + 1` of them.
///   When the cursor arrives, the buffered entries past it go into the heap and the buffer is dropped; from then on the
///   first case holds, and because every candidate seen so far went into the heap, its result is exact.
/// - When more than `limit + 1` entries of the purpose come before the cursor, the buffer is dropped and the pager only
///   watches for the cursor's key. If the cursor comes, `outcome()` is `.listAgain(pager)`: the caller lists again
///   and feeds the second pager, which starts knowing the key (so the second list is read in the first case's memory)
///   and whose outcome is always a page. The cursor's place stays the one the first list gave, so a cursor deleted
///   between the two lists still continues from where it was. If the cursor never comes, the page is empty.
///
/// Why a single pass cannot always do in O(limit): take `limit = 1` and entries with keys `k1 < … < km` arriving
/// before the cursor, whose key is not yet known and may fall between any two of them. With the cursor between `ki` and
/// `ki+1`, the page is the entry of `ki+1`, so until the cursor arrives every one of the `m` entries may still be the
/// answer and must be kept. The bounded buffer covers the common cases (a list no longer than `limit + 1`, or a
/// cursor that the backend lists early) in one pass; the rest costs a second list, never unbounded memory.
///
/// More than `maxEntries` entries in one list is an error (`max_list_entries`), not unbounded work.
public struct ListPager: Sendable {
    /// What the pager answers once the backend's list has been read to its end.
    public enum Outcome: Sendable {
        /// The page to answer with.
        case page(FileList)
        /// More than `limit + 1` entries came before the cursor: list again and feed every entry to this pager, which
        /// knows the cursor's place; its outcome is then always `.page`.
        case listAgain(ListPager)
    }

    /// An entry's place in the list order, ascending.
    private struct Key: Comparable, Sendable {
        var createdAt: Int64
        var id: String

        init(_ file: FileObject) {
            createdAt = file.createdAt
            id = file.id
        }

        static func < (lhs: Key, rhs: Key) -> Bool {
            (lhs.createdAt, lhs.id) < (rhs.createdAt, rhs.id)
        }
    }

    private let query: ListQuery
    private let limit: Int
    private let maxEntries: Int
    private var considered = 0
    /// The cursor's key, once the entry `query.after` names has been seen (or from the first list).
    private var cursor: Key?
    /// Entries of the purpose seen before the cursor, at most `limit + 1`.
    private var early: [FileObject] = []
    /// More than `limit + 1` entries of the purpose came before the cursor: only the cursor's key is watched for.
    private var overflowed = false
    /// The first `limit + 1` candidates seen so far, as a binary heap whose root is the last of them in page order.
    private var heap: [FileObject] = []

    /// - Parameters:
    ///   - query: the client's list request.
    ///   - maxEntries: the most entries one backend list may hold (`max_list_entries`).
    public init(query: ListQuery, maxEntries: Int = 100_000) {
        self.query = query
        self.limit = min(max(query.limit, ListQuery.limitRange.lowerBound), ListQuery.limitRange.upperBound)
        self.maxEntries = maxEntries
    }

    /// The second pager of `.listAgain`, which knows where the cursor is.
    private init(query: ListQuery, maxEntries: Int, cursor: Key) {
        self.init(query: query, maxEntries: maxEntries)
        self.cursor = cursor
    }

    /// How many file objects the pager holds: never more than `limit + 1`, which tests check.
    public var storedCount: Int { early.count + heap.count }

    /// Takes the next entry of the backend's list, in whatever order the backend lists them.
    public mutating func consider(_ file: FileObject) throws(GatewayError) {
        considered += 1
        guard considered <= maxEntries else {
            throw GatewayError(
                .badGateway,
                "The backend lists more than \(maxEntries) files; filegate pages at most \(maxEntries) "
                    + "(the backend's max_list_entries)."
            )
        }
        let matches = query.purpose.map { $0 == file.purpose } ?? true
        guard let cursor else {
            guard let after = query.after else {
                if matches { insert(file) }
                return
            }
            if file.id == after {
                let key = Key(file)
                self.cursor = key
                for entry in early where isPast(entry, key) { insert(entry) }
                early = []
            } else if matches, !overflowed {
                if early.count > limit {
                    overflowed = true
                    early = []
                } else {
                    early.append(file)
                }
            }
            return
        }
        if matches, !overflowed, isPast(file, cursor) { insert(file) }
    }

    /// The answer, once every entry of the list has been considered.
    public func outcome() -> Outcome {
        if query.after != nil {
            guard let cursor else { return .page(FileList(data: [], hasMore: false)) }
            if overflowed { return .listAgain(ListPager(query: query, maxEntries: maxEntries, cursor: cursor)) }
        }
        var files = heap.sorted { precedes($0, $1) }
        let hasMore = files.count > limit
        if hasMore { files.removeLast(files.count - limit) }
        return .page(FileList(data: files, hasMore: hasMore))
    }

    /// Whether `lhs` comes before `rhs` in the page's order.
    private func precedes(_ lhs: FileObject, _ rhs: FileObject) -> Bool {
        query.order == .asc ? Key(lhs) < Key(rhs) : Key(rhs) < Key(lhs)
    }

    /// Whether `file` lies strictly after the cursor in the page's order.
    private func isPast(_ file: FileObject, _ cursor: Key) -> Bool {
        query.order == .asc ? cursor < Key(file) : Key(file) < cursor
    }

    /// Adds a candidate to the heap, dropping the last one when that makes more than `limit + 1`.
    private mutating func insert(_ file: FileObject) {
        if heap.count > limit {
            guard precedes(file, heap[0]) else { return }
            heap[0] = file
            siftDown(from: 0)
        } else {
            heap.append(file)
            siftUp(from: heap.count - 1)
        }
    }

    /// Restores the heap (every parent comes after its children in page order) above `index`.
    private mutating func siftUp(from index: Int) {
        var child = index
        while child > 0 {
            let parent = (child - 1) / 2
            guard precedes(heap[parent], heap[child]) else { return }
            heap.swapAt(parent, child)
            child = parent
        }
    }

    /// Restores the heap below `index`.
    private mutating func siftDown(from index: Int) {
        var parent = index
        while true {
            var last = parent
            let left = 2 * parent + 1
            if left < heap.count, precedes(heap[last], heap[left]) { last = left }
            if left + 1 < heap.count, precedes(heap[last], heap[left + 1]) { last = left + 1 }
            guard last != parent else { return }
            heap.swapAt(parent, last)
            parent = last
        }
    }
}
