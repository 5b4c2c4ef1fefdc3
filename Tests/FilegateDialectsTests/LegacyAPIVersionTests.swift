import FilegateCore
import FilegateDialects
import Testing

@Suite("LegacyAPIVersion")
struct LegacyAPIVersionTests {
    @Test(
        "accepts real dates from 2022-12-01 on and gives the text back",
        arguments: [
            "2022-12-01", "2023-05-15", "2024-02-29", "2024-05-01-preview", "2024-06-01", "2024-08-01-preview",
            "2024-10-01-preview", "2024-10-21", "2025-04-01-preview", "2030-12-31",
        ]
    )
    func accepts(_ text: String) {
        #expect(LegacyAPIVersion(text)?.description == text)
    }

    @Test(
        "refuses anything but a real date from 2022-12-01 on",
        arguments: [
            "", "2024-02-30", "2023-02-29", "2022-11-30", "2024-6-1", "2024-06-1", "v1", "preview", "2024-06-01-",
            "2024-06-01-Preview", "2024-06-01-beta", "2024-13-01", "2024-00-10", "2024-06-00", "2024-04-31",
            " 2024-06-01", "2024-06-01 ", "+024-06-01", "2024/06/01", "20240601", "2024-06-01-preview-preview",
        ]
    )
    func refuses(_ text: String) {
        #expect(LegacyAPIVersion(text) == nil)
    }

    @Test("orders by date, a preview before the stable release of its day")
    func ordering() throws {
        let versions = try ["2024-10-21", "2024-10-01-preview", "2022-12-01", "2024-10-21-preview", "2024-06-01"]
            .map { try #require(LegacyAPIVersion($0)) }
        #expect(
            versions.sorted().map(\.description) == [
                "2022-12-01", "2024-06-01", "2024-10-01-preview", "2024-10-21-preview", "2024-10-21",
            ]
        )
    }

    @Test("exposes its parts")
    func parts() throws {
        let version = try #require(LegacyAPIVersion("2024-08-01-preview"))
        #expect([version.year, version.month, version.day] == [2024, 8, 1])
        #expect(version.isPreview)
    }
}
