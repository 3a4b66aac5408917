public enum JobCommandLine { public static func main() async {} }
