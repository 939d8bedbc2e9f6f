/// The hasim version recorded with every run, so any figure can be re-run.
public enum HasimVersion {
    public static let string = "0.1.0"
}
