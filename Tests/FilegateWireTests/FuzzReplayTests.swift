import FuzzHarness
import Testing

/// Every seed and every crash of the wire-level fuzz targets, fed through the fuzz targets' own code: a crash found
/// by `make fuzz` stays fixed, and the invariants the targets check hold for every committed input.
@Suite("Fuzz corpus replay (FilegateWire)")
struct FuzzReplayTests {
    static let inputs = FuzzInput.all(module: .wire, besideTestFile: #filePath)

    @Test func corpusIsThere() {
        let targets = Set(Self.inputs.map(\.target))
        #expect(targets == Set(FuzzTarget.allCases.filter { $0.module == .wire }))
    }

    @Test(arguments: inputs)
    func replay(_ input: FuzzInput) {
        #expect(throws: Never.self) { try input.target.run(input.bytes) }
    }
}
