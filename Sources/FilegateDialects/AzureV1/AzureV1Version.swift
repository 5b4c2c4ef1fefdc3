/// The Azure v1 API's `api-version` values (seeds/azure-v1-files.txt: "Possible values: v1, preview").
public enum AzureV1Version: String, Sendable, Hashable, CaseIterable {
    /// The default when `api-version` is absent.
    case v1
    case preview
}
