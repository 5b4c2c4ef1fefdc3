import FoundationEssentials

/// One file of a fuzz target's seed corpus or crash folder, read for replay by the tests.
public struct FuzzInput: Sendable, CustomStringConvertible {
    public var target: FuzzTarget
    /// The path relative to the `Fuzz/` folder, e.g. `Corpus/request-parser/get-list`.
    public var path: String
    public var bytes: [UInt8]

    public var description: String { path }

    /// Every input of `module`'s targets in the repository's `Fuzz/` folder, found from the path of a test file in
    /// `Tests/<Module>Tests/` (its `#filePath`), since tests run with no fixed working directory.
    public static func all(module: FuzzTarget.Module, besideTestFile testFile: String) -> [FuzzInput] {
        let repository = testFile.split(separator: "/").dropLast(3).map { "/" + $0 }.joined()
        return all(in: repository + "/Fuzz", module: module)
    }

    /// Every file under `Corpus/<target>/` and `Crashes/<target>/` of `fuzzFolder` for the targets of `module`,
    /// sorted by path; hidden files (`.gitkeep`) are skipped.
    public static func all(in fuzzFolder: String, module: FuzzTarget.Module) -> [FuzzInput] {
        let files = FileManager.default
        var inputs: [FuzzInput] = []
        for target in FuzzTarget.allCases where target.module == module {
            for folder in ["Corpus", "Crashes"] {
                let relative = folder + "/" + target.rawValue
                let names = (try? files.contentsOfDirectory(atPath: fuzzFolder + "/" + relative)) ?? []
                for name in names.sorted() where !name.hasPrefix(".") {
                    guard let data = files.contents(atPath: fuzzFolder + "/" + relative + "/" + name) else { continue }
                    inputs.append(FuzzInput(target: target, path: relative + "/" + name, bytes: Array(data)))
                }
            }
        }
        return inputs
    }
}
