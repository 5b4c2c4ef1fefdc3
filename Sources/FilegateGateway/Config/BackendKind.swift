/// The kind of a configured backend: filegate's own store, or a remote API in one of the three dialects.
public enum BackendKind: String, Hashable, Sendable, CaseIterable {
    case local
    case openai
    case azureV1 = "azure-v1"
    case azureLegacy = "azure-legacy"

    /// The `expires_after` range a backend of this kind takes when its config names none (DESIGN.md "expires_after");
    /// `nil` for the dated dialect, which keeps no expiry upstream.
    public var defaultExpiresAfterRange: ClosedRange<Int64>? {
        switch self {
        case .local, .openai: 3600...2_592_000
        case .azureV1: 259_200...2_592_000
        case .azureLegacy: nil
        }
    }
}
