import HasimCLI

Hasim.main()
