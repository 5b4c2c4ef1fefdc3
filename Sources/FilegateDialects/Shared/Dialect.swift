/// A client's or backend's dialect, with the version that decides its behaviour.
///
/// The dated dialect is a function of the request's api-version, not a constant (DESIGN.md "The data path"), so the
/// version travels with it; everything that differs between dialects is read from `profile`.
public enum Dialect: Sendable, Hashable {
    case openAI
    case azureV1(AzureV1Version)
    case azureLegacy(LegacyAPIVersion)

    /// The root this dialect is served under.
    public var root: DialectRoot {
        switch self {
        case .openAI: .openAI
        case .azureV1: .azureV1
        case .azureLegacy: .azureLegacy
        }
    }

    /// What this dialect does, as data: the column of DESIGN.md's side-by-side table (by date for the dated API).
    public var profile: DialectProfile {
        switch self {
        case .openAI: .openAI
        case .azureV1: .azureV1
        case .azureLegacy(let version): .azureLegacy(version)
        }
    }
}
