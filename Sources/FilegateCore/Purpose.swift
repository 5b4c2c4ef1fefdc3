/// A file's purpose word, canonical across dialects.
///
/// Any word is kept when reading (DESIGN.md "Purposes": purposes are passed through), so this is an open set;
/// the statics name the words some dialect takes on create.
public struct Purpose: RawRepresentable, Hashable, Sendable, Comparable, CustomStringConvertible {
    public let rawValue: String

    public init(rawValue: String) { self.rawValue = rawValue }

    public static let assistants = Purpose(rawValue: "assistants")
    public static let assistantsOutput = Purpose(rawValue: "assistants_output")
    public static let batch = Purpose(rawValue: "batch")
    public static let batchOutput = Purpose(rawValue: "batch_output")
    public static let fineTune = Purpose(rawValue: "fine-tune")
    public static let fineTuneResults = Purpose(rawValue: "fine-tune-results")
    public static let vision = Purpose(rawValue: "vision")
    public static let userData = Purpose(rawValue: "user_data")
    public static let evals = Purpose(rawValue: "evals")

    /// Every purpose some dialect takes on create: the union of DESIGN.md's "purposes the API takes on create" row.
    /// Inbound, a word outside it (`batch_output` included) is a 400 listing these.
    public static let creatable: Set<Purpose> = [
        .assistants, .assistantsOutput, .batch, .fineTune, .fineTuneResults, .vision, .userData, .evals,
    ]

    public var description: String { rawValue }

    public static func < (lhs: Purpose, rhs: Purpose) -> Bool { lhs.rawValue < rhs.rawValue }
}

extension Set where Element == Purpose {
    /// The words sorted and comma-joined, for error messages that list what is accepted.
    public var listed: String { sorted().map(\.rawValue).joined(separator: ", ") }
}
