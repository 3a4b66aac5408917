import JobBasics

/// Outputs are written under a temporary name beside the final one, keeping the extension
/// (FFmpeg chooses the container from it), and renamed into place only after success. A
/// crash leaves at most a `.job-tmp.` file, which no build takes for an output.
public enum OutputStaging {
    public static let marker = ".job-tmp."

    public static func temporaryPath(for output: String) -> String {
        let dir = FileOperations.parentDirectory(output)
        let base = FileOperations.baseName(output)
        return (dir == "." ? "" : dir + "/") + marker + base
    }
}
