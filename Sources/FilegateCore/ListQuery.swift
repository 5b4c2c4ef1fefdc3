/// The canonical list request: what every dialect's list parameters mean.
public struct ListQuery: Hashable, Sendable {
    public enum Order: String, Hashable, Sendable, CaseIterable {
        case asc
        case desc
    }

    /// 1...10000 (DESIGN.md "list").
    public static let limitRange: ClosedRange<Int> = 1...10_000
    public static let defaultLimit = 10_000

    public var purpose: Purpose?
    public var limit: Int
    public var order: Order
    /// List entries after this id in `order`; the id may name a deleted file.
    public var after: String?

    public init(
        purpose: Purpose? = nil,
        limit: Int = ListQuery.defaultLimit,
        order: Order = .desc,
        after: String? = nil
    ) {
        self.purpose = purpose
        self.limit = limit
        self.order = order
        self.after = after
    }
}
