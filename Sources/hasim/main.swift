print("hasim")
