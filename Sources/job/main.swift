import JobCLI
await JobCommandLine.main()
