/// The header fields of a request or response: ordered (name, value) pairs, names kept as sent.
///
/// Lookup is ASCII case-insensitive (RFC 9110 §5.1); order and repeated names are kept, because the gateway must
/// see a repeated `Host`, `Content-Length` or auth header to refuse it.
public struct HTTPHeaders: Sendable, Hashable, Sequence, ExpressibleByDictionaryLiteral {
    /// One field as sent; a struct rather than a tuple so the collection is `Hashable`.
    fileprivate struct Field: Sendable, Hashable {
        var name: String
        var value: String
    }

    private var fields: [Field]

    public init() {
        fields = []
    }

    public init(_ pairs: [(String, String)]) {
        fields = pairs.map { Field(name: $0.0, value: $0.1) }
    }

    public init(dictionaryLiteral elements: (String, String)...) {
        self.init(elements)
    }

    /// The number of fields, repeated names counted each time.
    public var count: Int { fields.count }

    /// Appends a field, keeping any earlier field of that name.
    public mutating func add(name: String, value: String) {
        fields.append(Field(name: name, value: value))
    }

    /// Replaces the first field of that name and removes the others, or appends the field when there is none.
    public mutating func replaceOrAdd(name: String, value: String) {
        guard let index = fields.firstIndex(where: { ASCII.equalsIgnoringCase($0.name, name) }) else {
            add(name: name, value: value)
            return
        }
        fields[index].value = value
        var position = fields.index(after: index)
        while position < fields.endIndex {
            if ASCII.equalsIgnoringCase(fields[position].name, name) {
                fields.remove(at: position)
            } else {
                position += 1
            }
        }
    }

    /// Removes every field of that name.
    public mutating func remove(name: String) {
        fields.removeAll { ASCII.equalsIgnoringCase($0.name, name) }
    }

    /// All values of fields with that name, in order.
    public subscript(name: String) -> [String] {
        fields.filter { ASCII.equalsIgnoringCase($0.name, name) }.map(\.value)
    }

    /// The value of the first field with that name.
    public func first(name: String) -> String? {
        fields.first { ASCII.equalsIgnoringCase($0.name, name) }?.value
    }

    /// Whether two field names are the same name (ASCII case-insensitive), without allocating.
    public static func namesEqual(_ lhs: String, _ rhs: String) -> Bool {
        ASCII.equalsIgnoringCase(lhs, rhs)
    }

    /// How many fields have that name, without collecting their values.
    public func count(name: String) -> Int {
        fields.reduce(0) { count, field in ASCII.equalsIgnoringCase(field.name, name) ? count + 1 : count }
    }

    public func contains(name: String) -> Bool {
        fields.contains { ASCII.equalsIgnoringCase($0.name, name) }
    }

    /// Iterates the fields in order, as sent.
    public struct Iterator: IteratorProtocol {
        private var base: IndexingIterator<[Field]>

        fileprivate init(_ fields: [Field]) {
            base = fields.makeIterator()
        }

        public mutating func next() -> (name: String, value: String)? {
            base.next().map { ($0.name, $0.value) }
        }
    }

    public func makeIterator() -> Iterator {
        Iterator(fields)
    }

    public var underestimatedCount: Int { fields.count }
}

extension HTTPHeaders: CustomStringConvertible {
    public var description: String {
        "[" + fields.map { "\($0.name): \($0.value)" }.joined(separator: ", ") + "]"
    }
}
