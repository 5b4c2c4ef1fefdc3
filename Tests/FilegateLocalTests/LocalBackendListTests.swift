import FilegateCore
import FilegateLocal
import Testing

/// Lists, paging and expiry of LocalBackend (DESIGN.md "Lists on the dated root", "expires_after").
@Suite struct LocalBackendListTests {
    /// Five files: f0 and f1 share a second (the insertion sequence orders them), the rest one second apart;
    /// f1 and f3 are batch files, the others assistants.
    private static func makeFive(_ backend: LocalBackend, _ clock: ManualClock) async throws -> [FileObject] {
        var files: [FileObject] = []
        for index in 0..<5 {
            if index >= 2 { clock.advance(by: 1) }
            files.append(try await backend.create("f\(index)", purpose: index % 2 == 1 ? .batch : .assistants))
        }
        return files
    }

    @Test func pagesAscendingWithLimitAndAfter() async throws {
        try await LocalFixture.with { fixture in
            let backend = try await fixture.makeBackend()
            let files = try await Self.makeFive(backend, fixture.clock)
            let first = try await backend.listFiles(ListQuery(limit: 2, order: .asc))
            #expect(first == FileList(data: Array(files[0...1]), hasMore: true))
            let second = try await backend.listFiles(ListQuery(limit: 2, order: .asc, after: files[1].id))
            #expect(second == FileList(data: Array(files[2...3]), hasMore: true))
            let third = try await backend.listFiles(ListQuery(limit: 2, order: .asc, after: files[3].id))
            #expect(third == FileList(data: [files[4]], hasMore: false))
            let exact = try await backend.listFiles(ListQuery(limit: 5, order: .asc))
            #expect(exact == FileList(data: files, hasMore: false))
        }
    }

    @Test func pagesDescendingByDefault() async throws {
        try await LocalFixture.with { fixture in
            let backend = try await fixture.makeBackend()
            let files = try await Self.makeFive(backend, fixture.clock)
            #expect(try await backend.listFiles(ListQuery()) == FileList(data: files.reversed(), hasMore: false))
            let first = try await backend.listFiles(ListQuery(limit: 3))
            #expect(first == FileList(data: [files[4], files[3], files[2]], hasMore: true))
            let second = try await backend.listFiles(ListQuery(limit: 3, after: files[2].id))
            #expect(second == FileList(data: [files[1], files[0]], hasMore: false))
        }
    }

    @Test func filtersByPurpose() async throws {
        try await LocalFixture.with { fixture in
            let backend = try await fixture.makeBackend()
            let files = try await Self.makeFive(backend, fixture.clock)
            let batch = try await backend.listFiles(ListQuery(purpose: .batch, order: .asc))
            #expect(batch == FileList(data: [files[1], files[3]], hasMore: false))
            let afterAnAssistantsFile = try await backend.listFiles(
                ListQuery(purpose: .batch, limit: 1, order: .asc, after: files[2].id)
            )
            #expect(afterAnAssistantsFile == FileList(data: [files[3]], hasMore: false))
        }
    }

    @Test(arguments: [ListQuery.Order.asc, .desc])
    func afterNamingADeletedFileContinuesFromWhereItWas(order: ListQuery.Order) async throws {
        try await LocalFixture.with { fixture in
            let backend = try await fixture.makeBackend()
            let files = try await Self.makeFive(backend, fixture.clock)
            _ = try await backend.deleteFile(try #require(FileID(rawValue: files[2].id)))
            let page = try await backend.listFiles(ListQuery(limit: 10, order: order, after: files[2].id))
            let expected = order == .asc ? [files[3], files[4]] : [files[1], files[0]]
            #expect(page == FileList(data: expected, hasMore: false))
        }
    }

    @Test func afterNamingAnUnknownFileIsAnEmptyPage() async throws {
        try await LocalFixture.with { fixture in
            let backend = try await fixture.makeBackend()
            _ = try await Self.makeFive(backend, fixture.clock)
            let page = try await backend.listFiles(ListQuery(after: "file-ffffffffffffffffffffffffffffffff"))
            #expect(page == FileList(data: [], hasMore: false))
        }
    }

    @Test func expiredFileIsHiddenThenSwept() async throws {
        try await LocalFixture.with { fixture in
            let backend = try await fixture.makeBackend()
            let lasting = try await backend.create("lasting")
            let expiring = try await backend.create("expiring", expiresAfter: 3600)
            let id = try #require(FileID(rawValue: expiring.id))
            #expect(try await backend.sweepExpired() == 0)

            fixture.clock.advance(by: 3599)
            #expect(try await backend.retrieveFile(id) == expiring)

            fixture.clock.advance(by: 1)
            let notFound = GatewayError.notFound("No such file: \(id)")
            await #expect(throws: notFound) { try await backend.retrieveFile(id) }
            await #expect(throws: notFound) { try await backend.fileContent(id) }
            await #expect(throws: notFound) { try await backend.deleteFile(id) }
            #expect(try await backend.listFiles(ListQuery()) == FileList(data: [lasting], hasMore: false))
            #expect(try fixture.files(in: "content") == [expiring.id, lasting.id].sorted())

            #expect(try await backend.sweepExpired() == 1)
            #expect(try fixture.files(in: "content") == [lasting.id])
            #expect(try await backend.sweepExpired() == 0)
            let afterSwept = try await backend.listFiles(ListQuery(after: expiring.id))
            #expect(afterSwept == FileList(data: [lasting], hasMore: false))
        }
    }

    @Test(.timeLimit(.minutes(1)))
    func runEndsWhenCancelled() async throws {
        try await LocalFixture.with { fixture in
            let backend = try await fixture.makeBackend()
            let service = Task { try await backend.run() }
            service.cancel()
            try await service.value
        }
    }
}
