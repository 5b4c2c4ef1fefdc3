import FilegateCore
import FilegateDialects
import Testing

/// A seeded generator (SplitMix64), so a failing random case can be replayed.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var value = state
        value = (value ^ (value >> 30)) &* 0xBF58_476D_1CE4_E5B9
        value = (value ^ (value >> 27)) &* 0x94D0_49BB_1331_11EB
        return value ^ (value >> 31)
    }
}

@Suite("ListPager")
struct ListPagerTests {
    static let purposes: [Purpose] = [.fineTune, .batch, .assistants]

    static func file(_ id: String, _ createdAt: Int64, _ purpose: Purpose = .fineTune) -> FileObject {
        FileObject(id: id, bytes: 1, createdAt: createdAt, filename: "f", purpose: purpose, status: .processed)
    }

    /// The page by brute force: sort everything, find the cursor, filter, cut.
    static func oracle(_ files: [FileObject], _ query: ListQuery) -> FileList {
        let ascending = files.sorted { ($0.createdAt, $0.id) < ($1.createdAt, $1.id) }
        var ordered = query.order == .asc ? ascending : ascending.reversed()
        if let after = query.after {
            guard let position = ordered.firstIndex(where: { $0.id == after }) else {
                return FileList(data: [], hasMore: false)
            }
            ordered = Array(ordered[(position + 1)...])
        }
        let matching = ordered.filter { query.purpose == nil || $0.purpose == query.purpose }
        return FileList(data: Array(matching.prefix(query.limit)), hasMore: matching.count > query.limit)
    }

    /// Runs the pager over `passes` (each pass the whole list in some order), checking the stored count after every
    /// entry; returns the page and how many passes it took.
    static func page(
        _ query: ListQuery,
        passes: [[FileObject]],
        maxEntries: Int = 100_000
    ) throws -> (FileList, passes: Int) {
        var pager = ListPager(query: query, maxEntries: maxEntries)
        for (number, pass) in passes.enumerated() {
            for file in pass {
                try pager.consider(file)
                #expect(pager.storedCount <= query.limit + 2, "stored \(pager.storedCount) with limit \(query.limit)")
            }
            switch pager.outcome() {
            case .page(let page):
                return (page, number + 1)
            case .listAgain(let second):
                pager = second
            }
        }
        Issue.record("the pager asked for more than \(passes.count) passes")
        return (FileList(data: [], hasMore: false), passes.count + 1)
    }

    @Test("random lists, limits, orders, cursors and purposes give the brute-force page", arguments: [1, 2, 3, 4])
    func againstOracle(seed: UInt64) throws {
        var random = SeededGenerator(state: seed)
        var secondPasses = 0
        var cursorPages = 0
        for iteration in 0..<800 {
            let count = Int.random(in: 0...40, using: &random)
            // Few distinct created_at values, so ties are common and the id decides.
            let spread = Int64.random(in: 1...20, using: &random)
            let files = (0..<count).map { index in
                Self.file(
                    "file-\(String(index, radix: 36))-\(Int.random(in: 0...99, using: &random))",
                    Int64.random(in: 1000...(1000 + spread), using: &random),
                    Self.purposes[Int.random(in: 0..<Self.purposes.count, using: &random)]
                )
            }
            let after: String? =
                switch Int.random(in: 0...5, using: &random) {
                case 0: nil
                case 1: "file-unknown"
                default: files.randomElement(using: &random)?.id
                }
            let query = ListQuery(
                purpose: Bool.random(using: &random) ? nil : Self.purposes[Int.random(in: 0..<3, using: &random)],
                limit: Int.random(in: 1...12, using: &random),
                order: Bool.random(using: &random) ? .asc : .desc,
                after: after
            )
            let passes = [files.shuffled(using: &random), files.shuffled(using: &random)]
            let (page, used) = try Self.page(query, passes: passes)
            let expected = Self.oracle(files, query)
            #expect(page == expected, "seed \(seed) iteration \(iteration): \(query)")
            if used == 2 { secondPasses += 1 }
            if after != nil, !expected.data.isEmpty { cursorPages += 1 }
        }
        // Both paths are exercised: one pass, and a second list after an overflowing cursor.
        #expect(secondPasses > 10)
        #expect(cursorPages > 100)
    }

    @Test("a list in page order or in reverse, with the cursor anywhere")
    func sortedArrivals() throws {
        let files = (0..<30).map { Self.file("file-\($0 + 10)", Int64($0 / 3)) }
        for order in ListQuery.Order.allCases {
            for arrival in [files, files.reversed()] {
                for cursor in [nil] + files.map(\.id) {
                    for limit in [1, 4, 29, 30, 31] {
                        let query = ListQuery(limit: limit, order: order, after: cursor)
                        let (page, _) = try Self.page(query, passes: [arrival, arrival])
                        #expect(page == Self.oracle(files, query), "\(query)")
                    }
                }
            }
        }
    }

    @Test("the local backend's order: created_at, then id standing in for insertion")
    func ties() throws {
        let files = [Self.file("file-b", 5), Self.file("file-a", 5), Self.file("file-c", 4), Self.file("file-d", 6)]
        let ascending = try Self.page(ListQuery(limit: 10, order: .asc), passes: [files]).0
        #expect(ascending.data.map(\.id) == ["file-c", "file-a", "file-b", "file-d"])
        let descending = try Self.page(ListQuery(limit: 2, order: .desc, after: "file-d"), passes: [files]).0
        #expect(descending == FileList(data: [Self.file("file-b", 5), Self.file("file-a", 5)], hasMore: true))
    }

    @Test("the cursor is found among every purpose; the page holds only the purpose asked for")
    func cursorOfAnotherPurpose() throws {
        let files = [Self.file("file-1", 1, .batch), Self.file("file-2", 2), Self.file("file-3", 3, .batch)]
        let query = ListQuery(purpose: .batch, limit: 5, order: .asc, after: "file-2")
        #expect(try Self.page(query, passes: [files]).0 == FileList(data: [files[2]], hasMore: false))
    }

    @Test("an after the list does not hold is an empty page, never a restart")
    func unknownCursor() throws {
        let files = (0..<50).map { Self.file("file-\($0)", Int64($0)) }
        let (page, used) = try Self.page(ListQuery(limit: 3, after: "file-gone"), passes: [files])
        #expect(page == FileList(data: [], hasMore: false))
        #expect(used == 1)
    }

    @Test("a cursor listed early takes one pass; a cursor after more than limit + 1 entries takes two")
    func passes() throws {
        let files = (0..<20).map { Self.file("file-\($0 + 10)", Int64($0)) }
        let query = ListQuery(limit: 3, order: .asc, after: "file-15")
        let early = [files[5]] + files.filter { $0.id != "file-15" }
        let (earlyPage, earlyPasses) = try Self.page(query, passes: [early])
        #expect(earlyPage == Self.oracle(files, query))
        #expect(earlyPasses == 1)
        let late = files.filter { $0.id != "file-15" } + [files[5]]
        let (latePage, latePasses) = try Self.page(query, passes: [late, late])
        #expect(latePage == Self.oracle(files, query))
        #expect(latePasses == 2)
    }

    @Test("the second list continues from the cursor's place even when the cursor is gone from it")
    func cursorDeletedBetweenPasses() throws {
        let files = (0..<20).map { Self.file("file-\($0 + 10)", Int64($0)) }
        let query = ListQuery(limit: 3, order: .desc, after: "file-25")
        let first = files.filter { $0.id != "file-25" } + [files[15]]
        let second = files.filter { $0.id != "file-25" }.shuffled()
        let (page, used) = try Self.page(query, passes: [first, second])
        #expect(used == 2)
        #expect(page == FileList(data: [files[14], files[13], files[12]], hasMore: true))
    }

    @Test("a long list is paged with at most limit + 1 files held")
    func longList() throws {
        var random = SeededGenerator(state: 99)
        let files = (0..<20_000).map { Self.file("file-\($0)", Int64.random(in: 0...1_000_000, using: &random)) }
        for query in [ListQuery(limit: 100), ListQuery(limit: 7, order: .asc, after: files[10].id)] {
            let (page, _) = try Self.page(query, passes: [files, files.shuffled(using: &random)])
            #expect(page == Self.oracle(files, query))
        }
    }

    @Test("more than maxEntries entries is an error naming max_list_entries")
    func tooMany() throws {
        var pager = ListPager(query: ListQuery(), maxEntries: 3)
        for index in 0..<3 { try pager.consider(Self.file("file-\(index)", 1)) }
        let error = #expect(throws: GatewayError.self) { try pager.consider(Self.file("file-3", 1)) }
        #expect(error?.code == .badGateway)
        #expect(
            error?.message
                == "The backend lists more than 3 files; filegate pages at most 3 (the backend's max_list_entries)."
        )
    }

    @Test("a limit outside 1...10000 is clamped, as the local backend does")
    func clampedLimit() throws {
        let files = (0..<3).map { Self.file("file-\($0)", Int64($0)) }
        let (page, _) = try Self.page(ListQuery(limit: 0, order: .asc), passes: [files])
        #expect(page == FileList(data: [files[0]], hasMore: true))
    }
}
